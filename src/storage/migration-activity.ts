/**
 * Migration 8: the Activity Log's events and the sign-in events (src/core/activity/,
 * docs/adr/0016-activity-log.md). Each row keeps the wire body as JSON plus the case-folded keys the
 * filters use; both tables are read newest first within a tenant or subscription and pruned by time,
 * hence the (scope, time) indexes.
 */
import type { Migration } from './migrations.js';

export const activityMigration: Migration = {
  version: 8,
  name: 'activity log and sign-in events',
  async up(db, { text }) {
    await db.schema
      .createTable('activity_events')
      .addColumn('event_data_id', text, (c) => c.primaryKey())
      .addColumn('subscription_key', text, (c) => c.notNull())
      .addColumn('tenant_id', text, (c) => c.notNull())
      .addColumn('event_ts', text, (c) => c.notNull())
      .addColumn('resource_group_key', text, (c) => c.notNull())
      .addColumn('resource_key', text, (c) => c.notNull())
      .addColumn('provider_key', text, (c) => c.notNull())
      .addColumn('correlation_key', text, (c) => c.notNull())
      .addColumn('caller_key', text, (c) => c.notNull())
      .addColumn('status_key', text, (c) => c.notNull())
      .addColumn('body', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('activity_events_by_time').on('activity_events').columns(['subscription_key', 'event_ts', 'event_data_id']).execute();
    await db.schema.createIndex('activity_events_ts').on('activity_events').column('event_ts').execute();

    await db.schema
      .createTable('sign_in_events')
      .addColumn('id', text, (c) => c.primaryKey())
      .addColumn('tenant_key', text, (c) => c.notNull())
      .addColumn('created_at', text, (c) => c.notNull())
      .addColumn('app_key', text, (c) => c.notNull())
      .addColumn('principal_key', text, (c) => c.notNull())
      .addColumn('event_type', text, (c) => c.notNull())
      .addColumn('body', text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sign_in_events_by_time').on('sign_in_events').columns(['tenant_key', 'created_at', 'id']).execute();
    await db.schema.createIndex('sign_in_events_ts').on('sign_in_events').column('created_at').execute();
  },
};
