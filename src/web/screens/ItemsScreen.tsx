import { Fragment, useEffect, useState, type ReactNode } from 'react';

import { api, ApiProblem, plainWords } from '../api';
import { AppLink } from '../App';
import { itemKindWords } from '../evidence';
import type { ItemView } from '../types';
import { IntegrityBadge, Loading, StateBadge } from '../ui';

/** A list of items from GET /items: what I hold, or what a search found. */
export function ItemsScreen({ title, query, empty }: { title: string; query: string; empty?: string }): ReactNode {
  const [items, setItems] = useState<ItemView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setItems(null);
    api.get<{ items: ItemView[] }>(`/items?${query}&limit=200`).then(
      (page) => setItems(page.items),
      (failure: unknown) =>
        setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the items'),
    );
  }, [query]);
  return (
    <section>
      <h1>{title}</h1>
      {error && <div className="banner error">{error}</div>}
      {items === null && !error && <Loading />}
      {items !== null && <ItemTable items={items} showCase empty={empty} />}
    </section>
  );
}

export function ItemTable({
  items,
  selectable,
  selected,
  onToggle,
  caption,
  showCase,
  empty = 'No items.',
}: {
  items: readonly ItemView[];
  selectable?: (item: ItemView) => boolean;
  selected?: ReadonlySet<string>;
  onToggle?: (id: string) => void;
  caption?: string;
  /** Items of several cases (my shelf, a search): each says its case. */
  showCase?: boolean;
  /** What an empty list means here, and where to go instead. */
  empty?: string;
}): ReactNode {
  return (
    <table className="list items">
      {caption && <caption>{caption}</caption>}
      <thead>
        <tr>
          {onToggle && (
            <th scope="col">
              <span className="visually-hidden">Select</span>
            </th>
          )}
          <th scope="col">Item</th>
          <th scope="col">What</th>
          <th scope="col" className="col-seal">
            Seal
          </th>
          <th scope="col">Custodian</th>
          <th scope="col">Location</th>
          <th scope="col">State</th>
          <th scope="col">Integrity</th>
        </tr>
      </thead>
      <tbody>
        {items.length === 0 && (
          <tr>
            <td colSpan={8} className="muted">
              {empty}
            </td>
          </tr>
        )}
        {items.map((item) => (
          <tr key={item.id} className={item.integrity === 'compromised' ? 'row-bad' : undefined}>
            {onToggle && (
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${item.itemNumber}`}
                  disabled={selectable ? !selectable(item) : false}
                  checked={selected?.has(item.id) ?? false}
                  onChange={() => onToggle(item.id)}
                />
              </td>
            )}
            <td>
              <AppLink to={`/items/${item.id}`}>
                <strong className="mono">{item.itemNumber}</strong>
              </AppLink>
              {showCase && (
                <>
                  <br />
                  <small className="muted">
                    case <AppLink to={`/cases/${item.case.id}`}>{item.case.caseNumber}</AppLink>
                  </small>
                </>
              )}
            </td>
            <td>
              {itemKindWords(item.kind)}
              {item.make || item.model ? ` — ${[item.make, item.model].filter(Boolean).join(' ')}` : ''}
              <br />
              <small className="muted">{item.description}</small>
              {item.sealNumber !== null && (
                <small className="seal-inline">
                  Seal <span className="mono">{item.sealNumber}</span>
                </small>
              )}
            </td>
            <td className="mono col-seal">{item.sealNumber ?? '—'}</td>
            <td>
              {item.custodian.displayName}
              <br />
              <small className="muted">{item.custodian.agency}</small>
            </td>
            <td>{item.location === null ? '—' : <BreakableLocation location={item.location} />}</td>
            <td>
              <StateBadge state={item.state} />
            </td>
            <td>
              <IntegrityBadge integrity={item.integrity} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `Madrid/HQ/Room 2/Shelf B` may wrap after each slash on a narrow screen, never inside a word. */
function BreakableLocation({ location }: { location: string }): ReactNode {
  const parts = location.split('/');
  return parts.map((part, n) => (
    <Fragment key={n}>
      {part}
      {n < parts.length - 1 && (
        <>
          /<wbr />
        </>
      )}
    </Fragment>
  ));
}
