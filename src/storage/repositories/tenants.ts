/** Tenants (directories), keyed by their id. */
import type { Tenant } from '../../core/model.js';
import type { TenantRepository } from '../../core/ports.js';
import type { TenantTable } from '../schema.js';
import { insertOnce, keyOf, type DbSource } from './shared.js';

function toTenant(row: TenantTable): Tenant {
  return { id: row.id, displayName: row.display_name, defaultDomain: row.default_domain, createdAt: row.created_at };
}

export function createTenantRepository(db: DbSource): TenantRepository {
  return {
    async get(id) {
      const row = await db().selectFrom('tenants').selectAll().where('id_key', '=', keyOf(id)).executeTakeFirst();
      return row && toTenant(row);
    },
    async list() {
      const rows = await db().selectFrom('tenants').selectAll().orderBy('id_key').execute();
      return rows.map(toTenant);
    },
    async insert(tenant) {
      await insertOnce(
        db()
          .insertInto('tenants')
          .values({
            id_key: keyOf(tenant.id),
            id: tenant.id,
            display_name: tenant.displayName,
            default_domain: tenant.defaultDomain,
            created_at: tenant.createdAt,
          }),
        `A tenant with id '${tenant.id}' already exists.`,
      );
    },
  };
}
