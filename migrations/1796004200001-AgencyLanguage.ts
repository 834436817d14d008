import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The language an agency's court reports and label sheets are printed in (ADR 0073), a BCP 47 tag
 * like `es` or `pt-BR`. Which tags the service prints is the code's list (src/i18n/languages.ts),
 * checked when an agency is created or changed; the table only checks the shape, so adding a
 * language needs no migration.
 *
 * Existing agencies get their courts' language from their country (the same table as
 * `languageForCountry`, frozen here as it stood); English elsewhere.
 */
export class AgencyLanguage1796004200001 implements MigrationInterface {
  name = 'AgencyLanguage1796004200001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE agency
        ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$')`);
    await queryRunner.query(`
      UPDATE agency SET language = CASE
        WHEN country IN ('AR', 'BO', 'CL', 'CO', 'CR', 'CU', 'DO', 'EC', 'ES', 'GQ', 'GT', 'HN', 'MX', 'NI', 'PA',
                         'PE', 'PR', 'PY', 'SV', 'UY', 'VE') THEN 'es'
        WHEN country = 'BR' THEN 'pt-BR'
        WHEN country IN ('AO', 'CV', 'GW', 'MZ', 'PT', 'ST', 'TL') THEN 'pt-PT'
        ELSE 'en' END`);
    // The service may change an agency's language, and nothing else of it.
    await queryRunner.query(`GRANT UPDATE (language) ON agency TO custos_service`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE UPDATE (language) ON agency FROM custos_service`);
    await queryRunner.query(`ALTER TABLE agency DROP COLUMN language`);
  }
}
