/** Small named values (e.g. the bootstrap identity), keyed case-insensitively by name. */
import type { MetaRepository } from '../../core/ports.js';
import { keyOf, type DbSource } from './shared.js';

export function createMetaRepository(db: DbSource): MetaRepository {
  const get = async (name: string) => {
    const row = await db().selectFrom('meta').select('value').where('name_key', '=', keyOf(name)).executeTakeFirst();
    return row?.value;
  };
  return {
    get,
    async putIfAbsent(name, value) {
      // Concurrent callers (several servers starting at once) all insert; exactly one row wins and
      // every caller reads that winner back.
      await db()
        .insertInto('meta')
        .values({ name_key: keyOf(name), name, value })
        .onConflict((oc) => oc.column('name_key').doNothing())
        .execute();
      const stored = await get(name);
      if (stored === undefined) throw new Error(`meta value '${name}' vanished right after it was written`);
      return stored;
    },
    async put(name, value) {
      await db()
        .insertInto('meta')
        .values({ name_key: keyOf(name), name, value })
        .onConflict((oc) => oc.column('name_key').doUpdateSet({ name, value }))
        .execute();
    },
  };
}
