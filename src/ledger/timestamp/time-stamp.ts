import { createHash, verify as nodeVerify, randomBytes, X509Certificate } from 'node:crypto';

import { Attribute, ContentInfo, id_signedData, SignedData } from '@peculiar/asn1-cms';
import { AsnArray, AsnConvert, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

/** RFC 3161 time-stamp tokens over a checkpoint's note body (ADR 0027). */
export const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const ID_CT_TSTINFO = '1.2.840.113549.1.9.16.1.4';
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const ID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

/** SignedAttributes as the SET OF Attribute that the CMS signature covers (RFC 5652 §5.4). */
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
class AttributeSet extends AsnArray<Attribute> {}

export class TimeStampError extends Error {
  override readonly name = 'TimeStampError';
}

/** What a verified token says: when, and which TSA (its certificate's subject). */
export interface VerifiedTimeStamp {
  readonly genTime: Date;
  readonly tsa: string;
  readonly serialNumber: string;
  /** Whether the TSA's certificate was checked to chain to trust anchors (false: none were given). */
  readonly chained: boolean;
}

/** The exact bytes a checkpoint's timestamp covers: the note body, i.e. the text the log signed. */
export function noteBody(note: string): Buffer {
  const end = note.indexOf('\n\n');
  if (end < 0) throw new TimeStampError('not a signed note: no blank line before the signatures');
  return Buffer.from(note.slice(0, end + 1), 'utf8');
}

export function timeStampRequest(body: Buffer): { request: Buffer; nonce: Buffer } {
  const nonce = randomBytes(8);
  nonce[0] &= 0x7f; // a positive INTEGER
  const request = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256_OID }),
      hashedMessage: new OctetString(createHash('sha256').update(body).digest()),
    }),
    nonce: new Uint8Array(nonce).buffer,
    certReq: true,
  });
  return { request: Buffer.from(AsnConvert.serialize(request)), nonce };
}

/** The token (a CMS ContentInfo, DER) out of a TSA's reply; refuses anything but granted. */
export function tokenFromResponse(response: Buffer): Buffer {
  let parsed: TimeStampResp;
  try {
    parsed = AsnConvert.parse(response, TimeStampResp);
  } catch (error) {
    throw new TimeStampError(`the TSA's reply is not a TimeStampResp: ${(error as Error).message}`);
  }
  if ((parsed.status.status as number) > 1 || parsed.timeStampToken === undefined) {
    throw new TimeStampError(`the TSA refused: status ${parsed.status.status}`);
  }
  return Buffer.from(AsnConvert.serialize(parsed.timeStampToken));
}

function sameBytes(a: ArrayBuffer | Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(Buffer.from(b));
}

/** Parses PEM text holding one or more certificates: the TSA trust anchors (LEDGER_TSA_CA_FILE, --tsa-ca). */
export function parseTrustAnchors(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TimeStampError('no PEM certificate in the TSA trust anchors');
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * Verifies an RFC 3161 token over `body`: the TSTInfo's message imprint is SHA-256 of the body (and
 * the nonce, when given), the CMS signature by the certificate the token carries verifies over the
 * signed attributes, whose message digest is that of the TSTInfo; the certificate is for time
 * stamping only (critical extended key usage id-kp-timeStamping), valid at the time stamped, and
 * issued by one of the trust anchors (directly or through certificates in the token). With `anchors`
 * null everything but the chain is checked: a verifier without a TSA CA can still tell the token
 * is intact and over this checkpoint, and reports it as not checked against a trusted CA.
 */
export function verifyTimeStampToken(
  token: Buffer,
  body: Buffer,
  anchors: readonly X509Certificate[] | null,
  nonce?: Buffer,
): VerifiedTimeStamp {
  let signed: SignedData;
  try {
    const info = AsnConvert.parse(token, ContentInfo);
    if (info.contentType !== id_signedData) throw new Error('not CMS SignedData');
    signed = AsnConvert.parse(info.content, SignedData);
  } catch (error) {
    throw new TimeStampError(`the time-stamp token is not CMS SignedData: ${(error as Error).message}`);
  }
  const eContent = signed.encapContentInfo.eContent;
  const tstDer = eContent?.single?.buffer ?? eContent?.any;
  if (signed.encapContentInfo.eContentType !== ID_CT_TSTINFO || tstDer === undefined) {
    throw new TimeStampError('the time-stamp token does not hold a TSTInfo');
  }
  const tst = AsnConvert.parse(tstDer, TSTInfo);
  if (tst.messageImprint.hashAlgorithm.algorithm !== SHA256_OID) {
    throw new TimeStampError('the time-stamp token is not over a SHA-256 imprint');
  }
  if (!sameBytes(tst.messageImprint.hashedMessage.buffer, createHash('sha256').update(body).digest())) {
    throw new TimeStampError("the token's imprint is not the checkpoint's note body (it stamps other data)");
  }
  if (nonce !== undefined && (tst.nonce === undefined || !sameBytes(tst.nonce, stripZero(nonce)))) {
    throw new TimeStampError('the time-stamp token does not carry the nonce asked for');
  }
  if (signed.signerInfos.length !== 1) throw new TimeStampError('the time-stamp token must have one signer');
  const [signer] = signed.signerInfos;
  if (signer.signedAttrs === undefined) {
    throw new TimeStampError('the time-stamp token has no signed attributes');
  }
  const attribute = (oid: string): Buffer | undefined => {
    const found = signer.signedAttrs!.find((a) => a.attrType === oid);
    return found?.attrValues[0] === undefined ? undefined : Buffer.from(found.attrValues[0]);
  };
  const digestOid = signer.digestAlgorithm.algorithm;
  const digestName = { [SHA256_OID]: 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' }[
    digestOid
  ];
  if (digestName === undefined) throw new TimeStampError(`unsupported digest ${digestOid} in the time-stamp token`);
  const messageDigest = attribute(ID_MESSAGE_DIGEST);
  const contentType = attribute(ID_CONTENT_TYPE);
  if (
    messageDigest === undefined ||
    contentType === undefined ||
    !sameBytes(
      AsnConvert.parse(messageDigest, OctetString).buffer,
      createHash(digestName).update(Buffer.from(tstDer)).digest(),
    )
  ) {
    throw new TimeStampError("the time-stamp token's signed attributes do not match its TSTInfo");
  }
  const certificates = (signed.certificates ?? [])
    .map((choice) => choice.certificate)
    .filter((c) => c !== undefined)
    .map((c) => new X509Certificate(Buffer.from(AsnConvert.serialize(c))));
  const signerCert = certificates.find((cert) =>
    signer.sid.issuerAndSerialNumber
      ? Buffer.from(signer.sid.issuerAndSerialNumber.serialNumber).toString('hex').replace(/^0+/, '').toUpperCase() ===
        cert.serialNumber.replace(/^0+/, '').toUpperCase()
      : false,
  );
  if (signerCert === undefined) throw new TimeStampError("the time-stamp token does not carry its TSA's certificate");
  // The signature covers the DER of the signed attributes as a SET (tag 0x31, not the field's [0]).
  const signedAttrs = signer.signedAttrsRaw
    ? Buffer.from(signer.signedAttrsRaw)
    : Buffer.from(AsnConvert.serialize(new AttributeSet(signer.signedAttrs)));
  signedAttrs[0] = 0x31;
  let valid: boolean;
  try {
    // Node picks PKCS#1 v1.5 for RSA keys and DER-encoded ECDSA for EC keys, as CMS uses them.
    valid = nodeVerify(digestName, signedAttrs, signerCert.publicKey, Buffer.from(signer.signature.buffer));
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new TimeStampError("the time-stamp token's signature does not verify with its TSA's certificate");
  }
  const eku = signerCert.keyUsage ?? [];
  if (eku.length !== 1 || eku[0] !== ID_KP_TIME_STAMPING) {
    throw new TimeStampError("the token's certificate is not a time-stamping certificate (extended key usage)");
  }
  const genTime = tst.genTime;
  if (genTime < new Date(signerCert.validFrom) || genTime > new Date(signerCert.validTo)) {
    throw new TimeStampError("the time stamped lies outside its TSA certificate's validity");
  }
  if (anchors !== null && !chainsTo(signerCert, certificates, anchors)) {
    throw new TimeStampError(
      "the token's TSA certificate does not chain to the given CA (a TSA not trusted by --tsa-ca / LEDGER_TSA_CA_FILE)",
    );
  }
  return {
    genTime,
    tsa: signerCert.subject.replace(/\n/g, ', '),
    serialNumber: Buffer.from(tst.serialNumber).toString('hex'),
    chained: anchors !== null,
  };
}

function stripZero(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function chainsTo(
  cert: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  depth = 0,
): boolean {
  if (depth > 5) return false;
  for (const anchor of anchors) {
    if (cert.checkIssued(anchor) && cert.verify(anchor.publicKey)) return true;
  }
  for (const issuer of intermediates) {
    if (issuer === cert || !issuer.ca) continue;
    if (
      cert.checkIssued(issuer) &&
      cert.verify(issuer.publicKey) &&
      chainsTo(issuer, intermediates, anchors, depth + 1)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Asks the TSA at `url` for a token over `body` (RFC 3161 over HTTP: POST application/timestamp-query)
 * and returns it only once it verifies against the trust anchors, nonce included.
 */
export async function requestTimeStamp(
  url: string,
  body: Buffer,
  anchors: readonly X509Certificate[],
  timeoutMs = 10_000,
): Promise<{ token: Buffer; verified: VerifiedTimeStamp }> {
  const { request, nonce } = timeStampRequest(body);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query' },
    body: request,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new TimeStampError(`the TSA answered HTTP ${response.status}`);
  const token = tokenFromResponse(Buffer.from(await response.arrayBuffer()));
  return { token, verified: verifyTimeStampToken(token, body, anchors, nonce) };
}
