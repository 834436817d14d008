import { Buffer } from 'node:buffer';

import type { DataSource } from 'typeorm';

import type { WitnessedCheckpoint, WitnessStore } from './witness-store.js';

interface Row {
  origin: string;
  tree_size: string;
  root_hash: Buffer;
  note: string;
  cosignature: string;
}

/**
 * The in-service witness's state in `witness_log`: every process of a deployment answers witness
 * requests, so the state and its lock must be shared. One transaction per request holds an
 * advisory transaction lock on the origin from reading the row to writing it.
 */
export class DbWitnessStore implements WitnessStore {
  constructor(private readonly dataSource: DataSource) {}

  exclusive<T>(
    origin: string,
    work: (held: WitnessedCheckpoint | undefined, save: (next: WitnessedCheckpoint) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('custos.witness_log:' || $1, 0))`, [origin]);
      const rows = await em.query<Row[]>(
        `SELECT origin, tree_size, root_hash, note, cosignature FROM witness_log WHERE origin = $1`,
        [origin],
      );
      const held = rows[0]
        ? {
            origin,
            treeSize: Number(rows[0].tree_size),
            rootHash: Buffer.from(rows[0].root_hash),
            note: rows[0].note,
            cosignature: rows[0].cosignature,
          }
        : undefined;
      return work(held, async (next) => {
        await em.query(
          `INSERT INTO witness_log (origin, tree_size, root_hash, note, cosignature) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (origin) DO UPDATE SET tree_size = EXCLUDED.tree_size, root_hash = EXCLUDED.root_hash,
             note = EXCLUDED.note, cosignature = EXCLUDED.cosignature, cosigned_at = now()`,
          [next.origin, next.treeSize, next.rootHash, next.note, next.cosignature],
        );
      });
    });
  }
}
