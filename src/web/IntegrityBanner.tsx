import { useEffect, useState, type ReactNode } from 'react';

import { api } from './api';

/** The monitor's part of GET /api/v1/ledger/status (no case data). */
interface LedgerStatus {
  readonly treeSize: number;
  readonly integrity: {
    readonly status: 'ok' | 'failed';
    readonly failure: { readonly index: number | null; readonly summary: string; readonly at: string } | null;
    readonly writesRefused: boolean;
  };
}

const POLL_MS = 30_000;

/**
 * Shown to every signed-in user while the ledger's integrity check has failed (docs/ledger.md §4):
 * what broke and where, and whether custody changes are refused meanwhile. Polls the status; says
 * nothing while all is well or the status cannot be read.
 */
export function IntegrityBanner(): ReactNode {
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
  if (failure === null) return null;
  return (
    <div className="banner error integrity" role="alert">
      <strong>Ledger integrity check failed</strong>
      {failure.index === null ? '' : ` at entry ${failure.index}`}: {failure.summary} (
      {new Date(failure.at).toLocaleString()}).{' '}
      {status!.integrity.writesRefused
        ? 'Custody changes are refused until it is repaired and verified.'
        : 'No checkpoint is signed until a full verification passes.'}{' '}
      Operators have been alerted.
    </div>
  );
}
