// Creates an Ed25519 key pair in a SoftHSM2 token and prints its raw public key (hex). Run as its
// own process (test/utils/softhsm.ts): SoftHSM2 reads SOFTHSM2_CONF from the real environment,
// which Jest's sandboxed process.env does not reach.
// argv: <module> <token label> <pin> <key label>
import { createRequire } from 'node:module';

const pkcs11js = createRequire(import.meta.url)('pkcs11js');
const [module, tokenLabel, pin, keyLabel] = process.argv.slice(2);
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const ED25519_EC_PARAMS = Buffer.from('06032b6570', 'hex');

const pkcs11 = new pkcs11js.PKCS11();
pkcs11.load(module);
pkcs11.C_Initialize();
try {
  const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.trim() === tokenLabel);
  const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  pkcs11.C_Login(session, pkcs11js.CKU_USER, pin);
  const label = { type: pkcs11js.CKA_LABEL, value: keyLabel };
  const token = { type: pkcs11js.CKA_TOKEN, value: true };
  const keys = pkcs11.C_GenerateKeyPair(
    session,
    { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
    [
      token,
      label,
      { type: pkcs11js.CKA_EC_PARAMS, value: ED25519_EC_PARAMS },
      { type: pkcs11js.CKA_VERIFY, value: true },
    ],
    [
      token,
      label,
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    ],
  );
  const [{ value: point }] = pkcs11.C_GetAttributeValue(session, keys.publicKey, [{ type: pkcs11js.CKA_EC_POINT }]);
  const slotId = slot.readUIntLE(0, 6);
  pkcs11.C_Logout(session);
  pkcs11.C_CloseSession(session);
  // CKA_EC_POINT is a DER OCTET STRING: 04 20 ‖ 32-byte key.
  process.stdout.write(`${JSON.stringify({ publicKey: point.subarray(2).toString('hex'), slotId })}\n`);
} finally {
  pkcs11.C_Finalize();
}
