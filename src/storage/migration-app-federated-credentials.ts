/**
 * Migration 10: federated identity credentials of app registrations (Graph
 * `applications/{id}/federatedIdentityCredentials`, src/core/directory/app-federated-credentials.ts).
 * A user-assigned identity's credentials need no table: they are child resources in `resources`.
 */
import type { Migration } from './migrations.js';

export const appFederatedCredentialsMigration: Migration = {
  version: 10,
  name: 'app federated credentials',
  async up(db, { text }) {
    await db.schema
      .createTable('app_federated_credentials')
      .addColumn('tenant_key', text, (c) => c.notNull())
      .addColumn('app_object_key', text, (c) => c.notNull())
      .addColumn('id_key', text, (c) => c.notNull())
      .addColumn('name_key', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('app_object_id', text, (c) => c.notNull())
      .addColumn('id', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('issuer', text, (c) => c.notNull())
      .addColumn('subject', text, (c) => c.notNull())
      /** JSON array of strings. */
      .addColumn('audiences', text, (c) => c.notNull())
      .addColumn('description', text)
      .addColumn('created_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('app_federated_credentials_pk', ['tenant_key', 'app_object_key', 'id_key'])
      .addUniqueConstraint('app_federated_credentials_name_unique', ['tenant_key', 'app_object_key', 'name_key'])
      .execute();
  },
};
