/**
 * Migration 30: registration state of preview features and resource providers per subscription
 * (src/core/features/registrations.ts). Numbered apart from the neighbouring migrations so that
 * work landing in parallel never claims the same version.
 */
import type { Migration } from './migrations.js';

export const registrationsMigration: Migration = {
  version: 30,
  name: 'feature and provider registrations',
  async up(db, { text }) {
    await db.schema
      .createTable('registrations')
      .addColumn('subscription_key', text, (c) => c.notNull())
      .addColumn('kind', text, (c) => c.notNull())
      .addColumn('name_key', text, (c) => c.notNull())
      .addColumn('subscription_id', text, (c) => c.notNull())
      .addColumn('name', text, (c) => c.notNull())
      .addColumn('state', text, (c) => c.notNull())
      .addColumn('updated_at', text, (c) => c.notNull())
      .addPrimaryKeyConstraint('registrations_pk', ['subscription_key', 'kind', 'name_key'])
      .execute();
  },
};
