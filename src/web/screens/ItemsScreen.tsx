import { useEffect, useState, type ReactNode } from 'react';
import { AppLink } from '../App';
import { ApiProblem, api, plainWords } from '../api';
import { humanize } from '../evidence';
import type { ItemView } from '../types';
import { IntegrityBadge, Loading, StateBadge } from '../ui';

/** A list of items from GET /items: what I hold, or what a search found. */
export function ItemsScreen({ title, query }: { title: string; query: string }): ReactNode {
  const [items, setItems] = useState<ItemView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setItems(null);
    api.get<{ items: ItemView[] }>(`/items?${query}&limit=200`).then(
      (page) => setItems(page.items),
      (failure: unknown) => setError(failure instanceof ApiProblem ? plainWords(failure.problem) : 'Could not load the items'),
    );
  }, [query]);
  return (
    <section>
      <h1>{title}</h1>
      {error && <div className="banner error">{error}</div>}
      {items === null && !error && <Loading />}
      {items !== null && <ItemTable items={items} />}
    </section>
  );
}

export function ItemTable({
  items,
  selectable,
  selected,
  onToggle,
  caption,
}: {
  items: readonly ItemView[];
  selectable?: (item: ItemView) => boolean;
  selected?: ReadonlySet<string>;
  onToggle?: (id: string) => void;
  caption?: string;
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
          <th scope="col">Seal</th>
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
              No items.
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
            </td>
            <td>
              {humanize(item.kind)}
              {item.make || item.model ? ` — ${[item.make, item.model].filter(Boolean).join(' ')}` : ''}
              <br />
              <small className="muted">{item.description}</small>
            </td>
            <td className="mono">{item.sealNumber ?? '—'}</td>
            <td>
              {item.custodian.displayName}
              <br />
              <small className="muted">{item.custodian.agency}</small>
            </td>
            <td>{item.location ?? '—'}</td>
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
