import type { ReactNode } from 'react';

/** The signer's and the witnesses' parts of GET /api/v1/ledger/status (no case data). */
export interface SignerStatus {
  readonly status: 'ok' | 'refused';
  readonly signedSize: number | null;
  readonly signedAt: string | null;
  readonly refusal: { readonly reason: string; readonly at: string } | null;
}

export interface WitnessState {
  readonly name: string;
  readonly url: string;
  readonly status: 'ok' | 'refused' | 'unreachable' | 'unknown';
  readonly size: number;
  readonly reason: string | null;
  readonly checkedAt: string | null;
  readonly okAt: string | null;
}

export interface WitnessingStatus {
  readonly enabled: boolean;
  readonly quorum: number;
  readonly publishedSize: number | null;
  readonly publishedAt: string | null;
  readonly witnesses: readonly WitnessState[];
}

const when = (iso: string | null): string => (iso === null ? 'never' : new Date(iso).toLocaleString());

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
