/** The RBAC change feed: one row per write, numbered by the database. */
import type { RbacChange, RbacChangeRepository } from '../../core/ports.js';
import { countOf, type DbSource } from './shared.js';

export function createRbacChangeRepository(db: DbSource): RbacChangeRepository {
  return {
    async record(kind, name) {
      await db().insertInto('rbac_changes').values({ kind, name, at: new Date().toISOString() }).execute();
    },
    async since(after, limit) {
      const rows = await db().selectFrom('rbac_changes').select(['seq', 'kind', 'name']).where('seq', '>', after).orderBy('seq').limit(limit).execute();
      return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind as RbacChange['kind'], name: r.name }));
    },
    async latest() {
      const row = await db()
        .selectFrom('rbac_changes')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      return Number(row?.seq ?? 0);
    },
    async prune(before) {
      return countOf(await db().deleteFrom('rbac_changes').where('seq', '<', before).executeTakeFirst());
    },
  };
}
