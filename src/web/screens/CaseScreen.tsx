import { useCallback, useEffect, useState, type ReactNode } from 'react';

import { api, ApiProblem, plainWords } from '../api';
import { AppLink } from '../App';
import { count, localTime } from '../evidence';
import { navigate } from '../router';
import type { CaseView, ItemView, TransferView, User } from '../types';
import { Loading, Notice } from '../ui';
import { CaseStatusPanel, SharesPanel } from './CaseOwnerPanels';
import { ItemTable } from './ItemsScreen';
import { TransferPanel } from './TransferPanel';

export function CaseScreen({ user, caseId }: { user: User; caseId: string }): ReactNode {
  const [kase, setCase] = useState<CaseView | null>(null);
  const [items, setItems] = useState<ItemView[]>([]);
  const [transfers, setTransfers] = useState<TransferView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [handingOver, setHandingOver] = useState(false);
  const [changingStatus, setChangingStatus] = useState(false);
  /** The reason given in this session; the case view does not carry it (see docs/web-app.md). */

  const load = useCallback(async () => {
    try {
      const [loadedCase, page, transferPage] = await Promise.all([
        api.get<CaseView>(`/cases/${caseId}`),
        api.get<{ items: ItemView[] }>(`/items?caseId=${caseId}&limit=500`),
        api.get<{ transfers: TransferView[] }>(`/transfers?caseId=${caseId}&limit=100`),
      ]);
      setCase(loadedCase);
      setItems(page.items);
      setTransfers(transferPage.transfers);
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the case');
    }
  }, [caseId]);

  useEffect(() => {
    void load();
  }, [load]);

  const download = async (path: string, name: string): Promise<void> => {
    setError(null);
    try {
      const saved = await api.download(path, name);
      setNotice(`Downloaded ${saved}`);
    } catch (failure) {
      setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'The download failed');
    }
  };

  if (error && kase === null) return <div className="banner error">{error}</div>;
  if (kase === null) return <Loading />;

  const officer = user.roles.includes('officer');
  const canSeize = officer && kase.access === 'contribute' && kase.status === 'open';
  /** Officers of the owning agency share, close and reopen (the API refuses anyone else). */
  const owner = officer && !kase.shared;
  const closed = kase.status === 'closed';
  const mine = (item: ItemView): boolean => item.custodian.id === user.id && item.state === 'in_custody';
  const compromised = items.filter((item) => item.integrity === 'compromised');
  const pending = transfers.filter((transfer) => transfer.status === 'pending');
  const chosen = items.filter((item) => selected.has(item.id));
  const toggle = (id: string): void =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const labelIds = chosen.length > 0 ? chosen : items;
  /** Read-only access offers only what it can do (downloads): labels are for those who bag evidence, hand-over for custodians. */
  const contributes = kase.access === 'contribute';
  const canLabel =
    contributes && user.roles.some((role) => role === 'officer' || role === 'clerk' || role === 'examiner');
  const canHandOver = contributes && items.some(mine);

  return (
    <section>
      <p className="crumbs">
        <AppLink to="/cases">Cases</AppLink> ›
      </p>
      <div className="page-head">
        <div>
          <h1>
            Case <span className="mono">{kase.caseNumber}</span>{' '}
            {closed ? <span className="badge case-closed">Closed</span> : <span className="badge case-open">Open</span>}
          </h1>
          <p className="subtitle">
            {kase.title} · {kase.agency.name} ({kase.agency.code}) ·{' '}
            {kase.access === 'contribute' ? 'you contribute' : 'read only'}
            {kase.shared ? ' · shared with you' : ''}
          </p>
          {kase.legalAuthority.length > 0 && <p className="muted">Authority: {kase.legalAuthority.join('; ')}</p>}
        </div>
        <div className="actions">
          {canSeize && (
            <button type="button" className="primary" onClick={() => navigate(`/cases/${kase.id}/seize`)}>
              Register seizure
            </button>
          )}
          {officer && kase.access === 'contribute' && closed && (
            <button type="button" className="primary" disabled aria-describedby="closed-reason">
              Register seizure
            </button>
          )}
          {owner && !changingStatus && (
            <button type="button" onClick={() => setChangingStatus(true)}>
              {closed ? 'Reopen case…' : 'Close case…'}
            </button>
          )}
        </div>
      </div>
      {closed && (
        <div className="banner closed" id="closed-reason" role="status">
          <strong>This case is closed</strong>
          {kase.closedAt ? ` since ${localTime(kase.closedAt)}` : ''}
          {kase.closeReason ? ` (${kase.closeReason})` : ''}: no new seizure or image can be registered in it
          {owner ? ' until you reopen it' : ''}. Custody of its items goes on — they can still be handed over, verified,
          moved and disposed of.
        </div>
      )}
      {changingStatus && (
        <CaseStatusPanel
          kase={kase}
          onCancel={() => setChangingStatus(false)}
          onChanged={(changed) => {
            setChangingStatus(false);
            setCase(changed);
            setNotice(
              changed.status === 'closed'
                ? `Case ${changed.caseNumber} closed.`
                : `Case ${changed.caseNumber} reopened: new seizures can be registered.`,
            );
          }}
        />
      )}

      <div className="glance" aria-label="Integrity at a glance">
        {compromised.length > 0 ? (
          <div className="banner error" role="alert">
            <strong>⚠ Integrity problem:</strong> {compromised.length} item{compromised.length === 1 ? ' is' : 's are'}{' '}
            compromised (broken seal or hash mismatch): {compromised.map((item) => item.itemNumber).join(', ')}. Open an
            item to see what was recorded.
          </div>
        ) : (
          <div className="banner ok">
            ✓ No integrity problem recorded: every seal arrived intact and every verification matched.
          </div>
        )}
        <dl className="stats">
          <div>
            <dt>Items</dt>
            <dd>{items.length}</dd>
          </div>
          <div>
            <dt>Compromised</dt>
            <dd className={compromised.length > 0 ? 'bad' : ''}>{compromised.length}</dd>
          </div>
          <div>
            <dt>Pending transfers</dt>
            <dd>{pending.length}</dd>
          </div>
          <div>
            <dt>Disposed</dt>
            <dd>{items.filter((item) => item.state === 'disposed').length}</dd>
          </div>
        </dl>
      </div>

      {notice && <Notice>{notice}</Notice>}
      {error && <div className="banner error">{error}</div>}

      <div className="toolbar" role="toolbar" aria-label="Case documents">
        {canLabel && (
          <button
            type="button"
            onClick={() =>
              void download(
                `/cases/${kase.id}/labels.pdf${chosen.length > 0 ? `?items=${chosen.map((item) => item.id).join(',')}` : ''}`,
                'labels.pdf',
              )
            }
            disabled={items.length === 0}
          >
            Print labels ({labelIds.length})
          </button>
        )}
        <button type="button" onClick={() => void download(`/cases/${kase.id}/report.pdf`, 'custody-report.pdf')}>
          Court report (PDF)
        </button>
        <button type="button" onClick={() => void download(`/cases/${kase.id}/bundle`, 'custody-bundle.json')}>
          Verifiable bundle
        </button>
        <button type="button" onClick={() => void download(`/cases/${kase.id}/export`, 'case-export.jsonld')}>
          CASE export
        </button>
        <button type="button" onClick={() => void download(`/cases/${kase.id}/custody.csv`, 'custody.csv')}>
          Custody CSV
        </button>
        {canHandOver && (
          <button
            type="button"
            className="primary"
            disabled={chosen.length === 0 || !chosen.every(mine)}
            onClick={() => setHandingOver(true)}
          >
            Hand over selected ({chosen.length})
          </button>
        )}
      </div>

      {handingOver && (
        <TransferPanel
          user={user}
          items={chosen}
          people={[
            ...items.map((item) => item.custodian),
            ...transfers.flatMap((transfer) => [transfer.from, transfer.to]),
          ]}
          onCancel={() => setHandingOver(false)}
          onDone={(transfer) => {
            setHandingOver(false);
            setSelected(new Set());
            setNotice(
              `Released ${count(transfer.itemCount, 'item')} to ${transfer.to.displayName}: waiting for their signature.`,
            );
            void load();
          }}
        />
      )}

      <ItemTable
        caption={
          canHandOver
            ? canLabel
              ? 'Items — select items to print their labels or hand them over'
              : 'Items — select items to hand them over'
            : canLabel
              ? 'Items — select items to print their labels'
              : 'Items'
        }
        items={items}
        selected={selected}
        onToggle={canLabel || canHandOver ? toggle : undefined}
        selectable={canLabel ? undefined : mine}
        empty={canSeize ? 'No items yet: Register seizure adds the devices you seized.' : 'No items yet.'}
      />

      {!kase.shared && <SharesPanel kase={kase} canManage={owner} />}

      <h2>Transfers</h2>
      <table className="list">
        <thead>
          <tr>
            <th scope="col">Released</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Purpose</th>
            <th scope="col">Items</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {transfers.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No transfers yet.
              </td>
            </tr>
          )}
          {transfers.map((transfer) => (
            <tr key={transfer.id}>
              <td>{localTime(transfer.releasedAt)}</td>
              <td>{transfer.from.displayName}</td>
              <td>{transfer.to.displayName}</td>
              <td>{transfer.purpose}</td>
              <td>
                {transfer.items.map((item) => (
                  <span key={item.id} className="chip">
                    {item.itemNumber}
                    {item.sealIntact === false ? ' ⚠ seal broken' : ''}
                  </span>
                ))}
              </td>
              <td>
                <span className={`badge transfer-${transfer.status}`}>{transfer.status}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
