/**
 * The ledger's verification core: RFC 8785 canonical JSON, the RFC 6962 / RFC 9162 Merkle tree and
 * its proofs, C2SP signed notes, tlog checkpoints, cosignatures and the
 * tlog-witness protocol, and the cryptographic half of custody bundles.
 *
 * Nothing here depends on Nest, TypeORM, pg or any npm package (node:crypto and node:buffer only),
 * so the folder can be published on its own and the offline verifier runs the very code the
 * service uses.
 */
export { canonicalBytes, CanonicalizationError, canonicalize, parseCanonical } from './jcs.js';
export {
  appendLeaf,
  assembleProof,
  CompactRange,
  completedNodes,
  consistencyProof,
  consistencyProofAsync,
  consistencyProofPlan,
  emptyRoot,
  frontierNodeIds,
  HASH_SIZE,
  inclusionProof,
  inclusionProofAsync,
  inclusionProofPlan,
  isValidConsistency,
  isValidInclusion,
  leafHash,
  nodeHash,
  ProofError,
  rootFromConsistencyProof,
  rootFromFrontier,
  rootFromInclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
export type { GetNode, GetNodes, NodeId, ProofErrorCode, ProofPlan, TreeNode } from './merkle.js';
export {
  decodeBase64Strict,
  ED25519_SIGNATURE_TYPE,
  ed25519KeyId,
  ed25519Signer,
  ed25519Verifier,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKeys,
  isValidKeyName,
  MAX_NOTE_SIGNATURES,
  NoteError,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './signed-note.js';
export type {
  NoteErrorCode,
  NoteSignature,
  NoteSigner,
  NoteVerifier,
  OpenedNote,
  SignerKey,
  VerifierKey,
} from './signed-note.js';
export { CheckpointError, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
export type {
  Checkpoint,
  CheckpointErrorCode,
  CheckpointInput,
  OpenCheckpointOptions,
  OpenedCheckpoint,
} from './checkpoint.js';
export {
  addSignatureLines,
  checkWitnessQuorum,
  COSIGNATURE_V1_TYPE,
  cosignatureMessage,
  cosigner,
  cosignerKeyId,
  cosignerVerifier,
  formatCosignerKey,
  formatCosignerVerifierKey,
  generateCosignerKeys,
  parseCosignerKey,
  parseCosignerVerifierKey,
  verifyCosignatures,
} from './cosignature.js';
export type { Cosigner, CosignerVerifier, VerifiedCosignature, WitnessQuorumResult } from './cosignature.js';
export {
  checkAddCheckpoint,
  formatAddCheckpointRequest,
  MAX_ADD_CHECKPOINT_BODY,
  MAX_PROOF_LINES,
  parseAddCheckpointRequest,
  parseTlogSize,
  requestOrigin,
  TLOG_SIZE_CONTENT_TYPE,
  WitnessRefusalError,
} from './tlog-witness.js';
export type { AcceptedCheckpoint, AddCheckpointRequest, HeldCheckpoint, WitnessRefusal } from './tlog-witness.js';
export { buildEntry, ENTRY_VERSION, entryProblem, eventHash, signedContent } from './entry.js';
export type { EntryActor, EntrySignature, EntrySubject, LedgerEntry, LedgerEvent } from './entry.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_SUBJECT_TYPES,
  BundleError,
  bundleBytes,
  bundleSha256,
  formatBundleStatement,
  parseBundleShape,
  proveBundle,
  signBundleStatement,
} from './bundle.js';
export type {
  BundleConsistency,
  BundleTimestamp,
  BundleEntry,
  BundleStatement,
  BundleSubject,
  BundleSubjectType,
  CustodyBundle,
  ProveBundleOptions,
  ProvenBundle,
  ProvenEntry,
  TreeHeadSummary,
} from './bundle.js';
