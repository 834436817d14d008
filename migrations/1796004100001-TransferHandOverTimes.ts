import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a hand-over happened, apart from when it was entered (ADR 0033): the release's and the
 * acceptance's `occurredAt`, with the offset of the place, as their ledger entries state them.
 * Transfers recorded before this have no such statement: their entries' recording times are their
 * hand-over times, and the backfill copies them (offset 0: `recordedAt` is UTC).
 */
export class TransferHandOverTimes1796004100001 implements MigrationInterface {
  name = 'TransferHandOverTimes1796004100001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE transfer
        ADD COLUMN release_occurred_at       timestamptz,
        ADD COLUMN release_occurred_offset   smallint CHECK (release_occurred_offset BETWEEN -840 AND 840),
        ADD COLUMN accepted_occurred_at      timestamptz,
        ADD COLUMN accepted_occurred_offset  smallint CHECK (accepted_occurred_offset BETWEEN -840 AND 840)`);
    await queryRunner.query(`
      UPDATE transfer t SET release_occurred_at = le.recorded_at, release_occurred_offset = 0
        FROM ledger_entry le WHERE le.idx = t.release_idx`);
    await queryRunner.query(`
      UPDATE transfer t SET accepted_occurred_at = le.recorded_at, accepted_occurred_offset = 0
        FROM ledger_entry le WHERE le.idx = t.resolution_idx AND t.status = 'accepted'`);
    await queryRunner.query(`
      ALTER TABLE transfer
        ALTER COLUMN release_occurred_at SET NOT NULL,
        ALTER COLUMN release_occurred_offset SET NOT NULL,
        ADD CONSTRAINT transfer_accepted_occurred
          CHECK ((status = 'accepted') = (accepted_occurred_at IS NOT NULL AND accepted_occurred_offset IS NOT NULL)),
        ADD CONSTRAINT transfer_accepted_after_release CHECK (accepted_occurred_at >= release_occurred_at)`);
    await queryRunner.query(
      `GRANT UPDATE (accepted_occurred_at, accepted_occurred_offset) ON transfer TO custos_service`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE transfer
        DROP CONSTRAINT transfer_accepted_after_release,
        DROP CONSTRAINT transfer_accepted_occurred,
        DROP COLUMN accepted_occurred_offset,
        DROP COLUMN accepted_occurred_at,
        DROP COLUMN release_occurred_offset,
        DROP COLUMN release_occurred_at`);
  }
}
