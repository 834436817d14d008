import { useEffect, useState, type ReactNode } from 'react';

import type { LedgerStatus } from '../contracts/ledger.js';
import { api } from './api';
import { localTime } from './evidence';

/** The signer's and the witnesses' parts of GET /api/v1/ledger/status (no case data): the server's contract. */
export type SignerStatus = LedgerStatus['signer'];
export type WitnessingStatus = LedgerStatus['witnessing'];

const when = (iso: string | null): string => (iso === null ? 'never' : localTime(iso));

/**
 * What auditors and administrators must know about the ledger's outside checks (docs/ledger.md §3,
 * docs/witness.md): the signer refused to sign the tree (a rollback or a rewrite), or witnesses
 * refuse or cannot be reached — which one, why, and what is still published. Nothing while all is
 * well: a witness that has not been asked yet is no news.
 */
export function LedgerTrustBanner({
  treeSize,
  signer,
  witnessing,
}: {
  treeSize: number;
  signer: SignerStatus | undefined;
  witnessing: WitnessingStatus | undefined;
}): ReactNode {
  const refusal = signer?.status === 'refused' ? signer.refusal : null;
  const failing = witnessing?.enabled
    ? witnessing.witnesses.filter((w) => w.status === 'refused' || w.status === 'unreachable')
    : [];
  const stalled = witnessing !== undefined && witnessing.witnesses.length - failing.length < witnessing.quorum;
  return (
    <>
      {refusal && (
        <div className="banner error ledger-signer" role="alert">
          <strong>Checkpoint signing stopped</strong>: the signer refused the ledger&apos;s tree of {treeSize} entries:{' '}
          {refusal.reason} ({when(refusal.at)}). The last head it signed has {signer!.signedSize ?? 'no'} entries (
          {when(signer!.signedAt)}); nothing newer is signed until an operator decides what happened.
        </div>
      )}
      {failing.length > 0 && (
        <div className={`banner ${stalled ? 'error' : 'warn'} ledger-witnessing`} role={stalled ? 'alert' : 'status'}>
          <strong>{stalled ? 'Witnessing failing' : 'A witness is failing'}</strong>:{' '}
          {stalled
            ? `fewer than ${witnessing.quorum} of ${witnessing.witnesses.length} witnesses cosign, so no newer checkpoint is published.`
            : `the other witnesses still make the quorum of ${witnessing!.quorum}.`}{' '}
          The published checkpoint covers{' '}
          {witnessing!.publishedSize === null
            ? 'nothing yet'
            : `${witnessing!.publishedSize} of ${treeSize} entries (witnessed ${when(witnessing!.publishedAt)})`}
          .
          <ul>
            {failing.map((w) => (
              <li key={w.name}>
                {w.name} {w.status === 'refused' ? 'refused' : 'could not be reached'}: {w.reason ?? 'no reason given'}{' '}
                (checked {when(w.checkedAt)}; it holds {w.size} entries; last cosigned {when(w.okAt)})
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

/**
 * The same status as facts, for the Ledger panel of the Administration and Audit screens: who signs
 * and up to where, and which witnesses cosign — shown when all is well too, so that a reader knows
 * what the published checkpoint rests on.
 */
export function OutsideChecksFacts({ reloadKey }: { reloadKey?: unknown }): ReactNode {
  const [status, setStatus] = useState<{ signer?: SignerStatus; witnessing?: WitnessingStatus } | null>(null);
  useEffect(() => {
    let live = true;
    void api
      .get<{ signer?: SignerStatus; witnessing?: WitnessingStatus }>('/ledger/status')
      .then((read) => live && setStatus(read))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [reloadKey]);
  const signer = status?.signer;
  const witnessing = status?.witnessing;
  if (!signer && !witnessing) return null;
  const cosigning = witnessing?.witnesses.filter((w) => w.status === 'ok').length ?? 0;
  return (
    <dl className="facts outside-checks">
      {signer && (
        <>
          <dt>Signer</dt>
          <dd>
            {signer.status === 'refused' ? (
              <span className="badge bad">refused to sign</span>
            ) : (
              <span className="badge ok">signing</span>
            )}{' '}
            last signed head: {signer.signedSize === null ? 'none' : `${signer.signedSize} entries`} (
            {localTime(signer.signedAt)})
          </dd>
        </>
      )}
      {witnessing && (
        <>
          <dt>Witnesses</dt>
          <dd>
            {witnessing.enabled
              ? `${cosigning} of ${witnessing.witnesses.length} cosigning (quorum ${witnessing.quorum}); last witnessed: ${
                  witnessing.publishedSize === null
                    ? 'none'
                    : `${witnessing.publishedSize} entries (${localTime(witnessing.publishedAt)})`
                }`
              : 'none configured: checkpoints are published as the service signs them'}
            {witnessing.enabled && (
              <ul className="plain">
                {witnessing.witnesses.map((w) => (
                  <li key={w.name}>
                    {w.name}{' '}
                    <span className={`badge ${w.status === 'ok' ? 'ok' : w.status === 'unknown' ? '' : 'bad'}`}>
                      {w.status === 'unreachable' ? 'unreachable' : w.status === 'unknown' ? 'not asked yet' : w.status}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </>
      )}
    </dl>
  );
}
