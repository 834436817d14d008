import { useEffect, useState, type ReactNode } from 'react';

import { api } from './api';
import { LedgerTrustBanner, type SignerStatus, type WitnessingStatus } from './LedgerTrustBanner';
import type { Role } from './types';

/** GET /api/v1/ledger/status (no case data). */
interface LedgerStatus {
  readonly treeSize: number;
  readonly integrity: {
    readonly status: 'ok' | 'failed';
    readonly failure: { readonly index: number | null; readonly summary: string; readonly at: string } | null;
    readonly writesRefused: boolean;
  };
  readonly signer?: SignerStatus;
  readonly witnessing?: WitnessingStatus;
}

const POLL_MS = 30_000;

/**
 * Shown to every signed-in user while the ledger's integrity check has failed (docs/ledger.md §4):
 * what broke and where, and whether custody changes are refused meanwhile. Polls the status; says
 * nothing while all is well or the status cannot be read. Auditors and administrators also see
 * when the signer refused or witnesses fail (LedgerTrustBanner): theirs to act on or to report.
 */
export function IntegrityBanner({ roles }: { roles: readonly Role[] }): ReactNode {
  const [status, setStatus] = useState<LedgerStatus | null>(null);
  useEffect(() => {
    let live = true;
    const read = (): void => {
      void api
        .get<LedgerStatus>('/ledger/status')
        .then((read) => live && setStatus(read))
        .catch(() => undefined);
    };
    read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const failure = status?.integrity.status === 'failed' ? status.integrity.failure : null;
  const trust =
    status !== null && roles.some((role) => role === 'auditor' || role === 'admin') ? (
      <LedgerTrustBanner treeSize={status.treeSize} signer={status.signer} witnessing={status.witnessing} />
    ) : null;
  if (failure === null) return trust;
  return (
    <>
      <div className="banner error integrity" role="alert">
        <strong>Ledger integrity check failed</strong>
        {failure.index === null ? '' : ` at entry ${failure.index}`}: {failure.summary} (
        {new Date(failure.at).toLocaleString()}).{' '}
        {status!.integrity.writesRefused
          ? 'Custody changes are refused until it is repaired and verified.'
          : 'No checkpoint is signed until a full verification passes.'}{' '}
        Operators have been alerted.
      </div>
      {trust}
    </>
  );
}
