import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custody (DESIGN §2, docs/custody.md). These tables are the *current state*: every row change is
 * made in the transaction that appends the ledger entry recording it, and `custos ledger verify`
 * replays the ledger to check custodian, state and integrity against them.
 * - item_number_sequence: the last item number given per agency and year. Its row is updated in the
 *   registering transaction, so a rolled-back seizure gives its numbers back: gapless.
 * - item: one piece of evidence. What was seized is written once (corrections rewrite the affected
 *   columns, the ledger keeps both values); custodian, location, state and integrity move.
 * - transfer / transfer_item: two-party handovers. `transfer_item.pending` with its partial unique
 *   index makes "an item is in at most one pending transfer" a database fact.
 * - hash_record: acquisition references and later verifications, never updated.
 * - item_event: which ledger entries concern which item (a transfer entry concerns all of its
 *   items): the index behind an item's history. The foreign key is deferred because the ledger
 *   writes its entries at the end of the transaction.
 * The service may not delete anything here; it updates only the columns granted below.
 */
export class Custody1795929517334 implements MigrationInterface {
  name = 'Custody1795929517334';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE item_number_sequence (
        agency_id  uuid    NOT NULL REFERENCES agency (id),
        year       integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
        last_value integer NOT NULL CHECK (last_value BETWEEN 1 AND 999999),
        PRIMARY KEY (agency_id, year)
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE (last_value) ON item_number_sequence TO custos_service`);

    await queryRunner.query(`
      CREATE TABLE item (
        id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        case_id           uuid        NOT NULL REFERENCES case_file (id),
        agency_id         uuid        NOT NULL REFERENCES agency (id),
        item_number       text        NOT NULL UNIQUE CHECK (item_number ~ '^[A-Z0-9-]+-[0-9]{4}-[0-9]{6}$'),
        kind              text        NOT NULL CHECK (kind IN ('mobile_phone', 'computer', 'laptop', 'tablet', 'hard_drive', 'ssd',
                                        'usb_drive', 'memory_card', 'sim_card', 'optical_disc', 'camera', 'game_console',
                                        'forensic_image', 'extraction', 'other')),
        description       text        NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
        make              text        CHECK (length(make) <= 200),
        model             text        CHECK (length(model) <= 200),
        serial            text        CHECK (length(serial) <= 200),
        imeis             text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(imeis) <= 4),
        iccid             text        CHECK (iccid ~ '^89[0-9]{17,18}$'),
        mac_addresses     text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(mac_addresses) <= 16),
        capacity_bytes    bigint      CHECK (capacity_bytes > 0),
        condition         text        CHECK (length(condition) <= 2000),
        power_state       text        CHECK (power_state IN ('on', 'off', 'airplane', 'unknown')),
        seal_number       text        CHECK (length(seal_number) <= 64),
        occurred_at       timestamptz NOT NULL,
        occurred_offset   smallint    NOT NULL CHECK (occurred_offset BETWEEN -840 AND 840),
        place             text        NOT NULL CHECK (length(place) BETWEEN 1 AND 500),
        seized_from       text        CHECK (length(seized_from) <= 200),
        legal_authority   text        CHECK (length(legal_authority) <= 500),
        parent_id         uuid        REFERENCES item (id),
        acquisition_tool  text        CHECK (length(acquisition_tool) <= 200),
        acquisition_tool_version text CHECK (length(acquisition_tool_version) <= 100),
        acquisition_method text       CHECK (length(acquisition_method) <= 500),
        registered_by     uuid        NOT NULL REFERENCES user_account (id),
        registered_at     timestamptz NOT NULL DEFAULT now(),
        custodian_id      uuid        NOT NULL REFERENCES user_account (id),
        location          text        CHECK (length(location) <= 500),
        state             text        NOT NULL DEFAULT 'in_custody' CHECK (state IN ('in_custody', 'transfer_pending', 'disposed')),
        integrity         text        NOT NULL DEFAULT 'intact' CHECK (integrity IN ('intact', 'compromised')),
        disposition       text        CHECK (disposition IN ('returned_to_owner', 'destroyed', 'released_to_authority')),
        disposed_at       timestamptz,
        last_event_idx    bigint      NOT NULL,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT item_disposition_terminal CHECK ((state = 'disposed') = (disposition IS NOT NULL AND disposed_at IS NOT NULL)),
        CONSTRAINT item_derivation CHECK (kind NOT IN ('forensic_image', 'extraction') OR (parent_id IS NOT NULL AND acquisition_tool IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX item_case_idx ON item (case_id, item_number)`);
    await queryRunner.query(`CREATE INDEX item_custodian_idx ON item (custodian_id, item_number)`);
    await queryRunner.query(`CREATE INDEX item_parent_idx ON item (parent_id) WHERE parent_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX item_compromised_idx ON item (case_id) WHERE integrity = 'compromised'`);
    // Scan-to-find and search: by number, serial, seal (case-insensitive prefix) and IMEI.
    await queryRunner.query(`CREATE INDEX item_number_search_idx ON item (lower(item_number) text_pattern_ops)`);
    await queryRunner.query(
      `CREATE INDEX item_serial_search_idx ON item (lower(serial) text_pattern_ops) WHERE serial IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX item_seal_search_idx ON item (lower(seal_number) text_pattern_ops) WHERE seal_number IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX item_imeis_idx ON item USING gin (imeis)`);
    await queryRunner.query(`CREATE INDEX item_iccid_idx ON item (iccid) WHERE iccid IS NOT NULL`);
    await queryRunner.query(`GRANT SELECT, INSERT ON item TO custos_service`);
    await queryRunner.query(
      `GRANT UPDATE (description, make, model, serial, imeis, iccid, mac_addresses, capacity_bytes, condition, power_state,
                     seal_number, occurred_at, occurred_offset, place, seized_from, legal_authority, custodian_id, location,
                     state, integrity, disposition, disposed_at, last_event_idx, updated_at) ON item TO custos_service`,
    );

    await queryRunner.query(`
      CREATE TABLE transfer (
        id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        case_id          uuid        NOT NULL REFERENCES case_file (id),
        from_user_id     uuid        NOT NULL REFERENCES user_account (id),
        to_user_id       uuid        NOT NULL REFERENCES user_account (id),
        purpose          text        NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
        status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'cancelled')),
        item_count       integer     NOT NULL CHECK (item_count BETWEEN 1 AND 500),
        released_at      timestamptz NOT NULL DEFAULT now(),
        release_idx      bigint      NOT NULL,
        resolved_at      timestamptz,
        resolved_by      uuid        REFERENCES user_account (id),
        resolution_idx   bigint,
        resolution_note  text        CHECK (length(resolution_note) <= 2000),
        CONSTRAINT transfer_two_parties CHECK (from_user_id <> to_user_id),
        CONSTRAINT transfer_resolution CHECK ((status = 'pending') = (resolved_at IS NULL AND resolved_by IS NULL AND resolution_idx IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX transfer_to_idx ON transfer (to_user_id, status, released_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX transfer_from_idx ON transfer (from_user_id, status, released_at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX transfer_case_idx ON transfer (case_id, released_at DESC)`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE (status, resolved_at, resolved_by, resolution_idx, resolution_note) ON transfer TO custos_service`,
    );

    await queryRunner.query(`
      CREATE TABLE transfer_item (
        transfer_id uuid    NOT NULL REFERENCES transfer (id),
        item_id     uuid    NOT NULL REFERENCES item (id),
        position    integer NOT NULL CHECK (position >= 0),
        pending     boolean NOT NULL DEFAULT true,
        seal_intact boolean,
        seal_note   text    CHECK (length(seal_note) <= 2000),
        PRIMARY KEY (transfer_id, item_id)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX transfer_item_one_pending_key ON transfer_item (item_id) WHERE pending`,
    );
    await queryRunner.query(`CREATE INDEX transfer_item_item_idx ON transfer_item (item_id)`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE (pending, seal_intact, seal_note) ON transfer_item TO custos_service`,
    );

    await queryRunner.query(`
      CREATE TABLE hash_record (
        id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        item_id       uuid        NOT NULL REFERENCES item (id),
        target        text        NOT NULL CHECK (target ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
        algorithm     text        NOT NULL CHECK (algorithm IN ('md5', 'sha1', 'sha256', 'sha512')),
        value         text        NOT NULL CHECK (value ~ '^[0-9a-f]+$' AND length(value) = CASE algorithm
                                    WHEN 'md5' THEN 32 WHEN 'sha1' THEN 40 WHEN 'sha256' THEN 64 ELSE 128 END),
        role          text        NOT NULL CHECK (role IN ('reference', 'verification')),
        result        text        CHECK (result IN ('match', 'mismatch', 'not_compared')),
        reference_id  uuid        REFERENCES hash_record (id),
        tool          text        CHECK (length(tool) <= 200),
        tool_version  text        CHECK (length(tool_version) <= 100),
        occurred_at   timestamptz NOT NULL,
        occurred_offset smallint  NOT NULL CHECK (occurred_offset BETWEEN -840 AND 840),
        recorded_by   uuid        NOT NULL REFERENCES user_account (id),
        recorded_at   timestamptz NOT NULL DEFAULT now(),
        ledger_idx    bigint      NOT NULL,
        transfer_id   uuid        REFERENCES transfer (id),
        CONSTRAINT hash_record_result CHECK ((role = 'reference') = (result IS NULL)),
        CONSTRAINT hash_record_compared CHECK ((result IN ('match', 'mismatch')) = (reference_id IS NOT NULL))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX hash_record_reference_key ON hash_record (item_id, target, algorithm) WHERE role = 'reference'`,
    );
    await queryRunner.query(`CREATE INDEX hash_record_item_idx ON hash_record (item_id, recorded_at, id)`);
    await queryRunner.query(`GRANT SELECT, INSERT ON hash_record TO custos_service`);

    await queryRunner.query(`
      CREATE TABLE item_event (
        item_id    uuid   NOT NULL REFERENCES item (id),
        ledger_idx bigint NOT NULL REFERENCES ledger_entry (idx) DEFERRABLE INITIALLY DEFERRED,
        type       text   NOT NULL,
        PRIMARY KEY (item_id, ledger_idx)
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON item_event TO custos_service`);

    // What the service may never do, even by mistake: rewrite what was recorded.
    for (const table of ['hash_record', 'item_event']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${table}
           FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE item_event, hash_record, transfer_item, transfer, item, item_number_sequence`);
  }
}
