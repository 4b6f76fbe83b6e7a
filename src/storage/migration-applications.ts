/**
 * Migration 5: Graph application objects (app registrations, src/core/directory/applications.ts).
 * Every application principal already in the database (the bootstrap admin, at least) gets its
 * application object here, so that Graph shows and manages it like any other registration.
 */
import { randomUUID } from 'node:crypto';
import type { Migration } from './migrations.js';

export const applicationsMigration: Migration = {
  version: 5,
  name: 'applications',
  async up(db, { text }) {
    await db.schema
      .createTable('applications')
      .addColumn('tenant_key', text, (c) => c.notNull())
      .addColumn('object_key', text, (c) => c.notNull())
      .addColumn('app_key', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('object_id', text, (c) => c.notNull())
      .addColumn('app_id', text, (c) => c.notNull())
      .addColumn('display_name', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('applications_pk', ['tenant_key', 'object_key'])
      .addUniqueConstraint('applications_app_unique', ['tenant_key', 'app_key'])
      .execute();
    const principals = await db
      .selectFrom('principals')
      .select(['tenant_key', 'app_key', 'tenant_id', 'app_id', 'display_name', 'created_at'])
      .where('kind', '=', 'Application')
      .execute();
    for (const p of principals) {
      const objectId = randomUUID();
      await db
        .insertInto('applications')
        .values({
          tenant_key: p.tenant_key,
          object_key: objectId,
          app_key: p.app_key,
          tenant_id: p.tenant_id,
          object_id: objectId,
          app_id: p.app_id,
          display_name: p.display_name,
          created_at: p.created_at,
        })
        .execute();
    }
  },
};
