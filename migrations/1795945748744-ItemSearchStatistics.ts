import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics on the search expressions of `GET /items?q=` (docs/performance.md, issue 7).
 * The serial and seal indexes are partial (`WHERE … IS NOT NULL`), and PostgreSQL does not use a
 * partial index's statistics to estimate a clause: it guessed 0.5 % of the table for every
 * `lower(serial) LIKE 'abc%'`, so with `ORDER BY item_number LIMIT` it walked the whole item-number
 * index instead of the five search indexes — seconds per search at 1,000,000 items. Expression
 * statistics give it the real selectivity. ANALYZE fills them now; autovacuum keeps them current.
 */
export class ItemSearchStatistics1795945748744 implements MigrationInterface {
  name = 'ItemSearchStatistics1795945748744';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE STATISTICS item_search_expressions_stats ON (lower(serial)), (lower(seal_number)) FROM item`,
    );
    await queryRunner.query(`ANALYZE item`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP STATISTICS item_search_expressions_stats`);
  }
}
