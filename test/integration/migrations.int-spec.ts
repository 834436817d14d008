import { DataSource } from 'typeorm';

import { migrations } from '../../migrations/index.js';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { createTestDatabase, sql as query, type TestDatabase } from '../utils/test-database.js';

describe('migrations and database roles', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('has applied every migration, in order, as the owner', async () => {
    const { rows } = await query(database.ownerUrl, 'SELECT name FROM schema_migrations ORDER BY id');
    expect(rows.map((row: { name: string }) => row.name)).toEqual(migrations.map((m) => new m().name));
  });

  it('lets the service role use the schema but not change it', async () => {
    const { rows } = await query(
      database.appUrl,
      `SELECT current_user AS me, has_schema_privilege('public', 'USAGE') AS usage`,
    );
    expect(rows[0]).toEqual({ me: 'custos_test_app', usage: true });
    await expect(query(database.appUrl, 'CREATE TABLE intruder (id int)')).rejects.toThrow(
      /permission denied for schema public/,
    );
  });

  it('does not let the service role read the migration history', async () => {
    await expect(query(database.appUrl, 'SELECT * FROM schema_migrations')).rejects.toThrow(/permission denied/);
  });

  it('runs as roles that are neither superuser nor able to create roles or databases', async () => {
    for (const url of [database.appUrl, database.ownerUrl]) {
      const { rows } = await query(
        url,
        'SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user',
      );
      expect(rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    }
  });

  it('reverts every migration with its down and applies them again', async () => {
    const dataSource = new DataSource(dataSourceOptions({ url: database.ownerUrl, poolSize: 1 }));
    await dataSource.initialize();
    try {
      for (let i = 0; i < migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await dataSource.showMigrations()).toBe(true);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied).toHaveLength(migrations.length);
      expect(await dataSource.showMigrations()).toBe(false);
    } finally {
      await dataSource.destroy();
    }
  });

  it('never synchronises the schema from entities', () => {
    expect(dataSourceOptions({ url: database.appUrl }).synchronize).toBe(false);
  });
});
