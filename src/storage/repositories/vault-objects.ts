/** Key Vault object versions and soft-deleted names (migration 7). Names compare case-insensitively. */
import type { DeletedObject, VaultObjectRepository, VaultObjectVersion } from '../../core/keyvault/model.js';
import type { VaultDeletedObjectTable, VaultObjectTable } from '../schema.js';
import { countOf, fromJson, fromJsonOrNull, insertOnce, keyOf, toJson, toJsonOrNull, type DbSource } from './shared.js';

function toVersion(r: VaultObjectTable): VaultObjectVersion {
  return {
    vault: r.vault_key,
    kind: r.kind as VaultObjectVersion['kind'],
    name: r.name,
    version: r.version,
    sealedValue: r.sealed_value,
    publicKey: fromJsonOrNull(r.public_key),
    contentType: r.content_type,
    attributes: fromJson(r.attributes),
    tags: fromJson(r.tags),
    createdSeq: Number(r.created_seq),
  };
}

function toRow(v: VaultObjectVersion): VaultObjectTable {
  return {
    vault_key: keyOf(v.vault),
    kind: v.kind,
    name_key: keyOf(v.name),
    version: v.version.toLowerCase(),
    name: v.name,
    sealed_value: v.sealedValue,
    public_key: toJsonOrNull(v.publicKey),
    content_type: v.contentType,
    attributes: toJson(v.attributes),
    tags: toJson(v.tags),
    created_seq: v.createdSeq,
  };
}

const toDeleted = (r: VaultDeletedObjectTable): DeletedObject => ({
  vault: r.vault_key,
  kind: r.kind as DeletedObject['kind'],
  name: r.name,
  deletedDate: Number(r.deleted_date),
  scheduledPurgeDate: Number(r.scheduled_purge_date),
});

export function createVaultObjectRepository(db: DbSource): VaultObjectRepository {
  const of = (vault: string, kind: string) => db().selectFrom('vault_objects').selectAll().where('vault_key', '=', keyOf(vault)).where('kind', '=', kind);
  return {
    async insertVersion(v) {
      await insertOnce(db().insertInto('vault_objects').values(toRow(v)), `Version ${v.version} of ${v.kind} '${v.name}' already exists.`);
    },
    async updateVersion(v) {
      const { vault_key, kind, name_key, version, ...changes } = toRow(v);
      const r = await db()
        .updateTable('vault_objects')
        .set(changes)
        .where('vault_key', '=', vault_key)
        .where('kind', '=', kind)
        .where('name_key', '=', name_key)
        .where('version', '=', version)
        .executeTakeFirst();
      return countOf(r) > 0;
    },
    async getVersion(vault, kind, name, version) {
      const r = await of(vault, kind).where('name_key', '=', keyOf(name)).where('version', '=', version.toLowerCase()).executeTakeFirst();
      return r && toVersion(r);
    },
    async latest(vault, kind, name) {
      const r = await of(vault, kind).where('name_key', '=', keyOf(name)).orderBy('created_seq', 'desc').limit(1).executeTakeFirst();
      return r && toVersion(r);
    },
    async listLatest(vault, kind, afterName, limit) {
      // Few versions per name in practice: read names in order and keep each name's newest version.
      let q = of(vault, kind);
      if (afterName !== undefined) q = q.where('name_key', '>', afterName);
      const out: VaultObjectVersion[] = [];
      const rows = await q
        .orderBy('name_key')
        .orderBy('created_seq', 'desc')
        .limit(Math.min(limit * 50, 50_000))
        .execute();
      for (const r of rows) {
        if (out.length > 0 && keyOf(out[out.length - 1]!.name) === r.name_key) continue;
        if (out.length === limit) break;
        out.push(toVersion(r));
      }
      return out;
    },
    async listVersions(vault, kind, name, afterVersion, limit) {
      const rows = await of(vault, kind).where('name_key', '=', keyOf(name)).orderBy('created_seq').orderBy('version').execute();
      const start = afterVersion === undefined ? 0 : rows.findIndex((r) => r.version === afterVersion.toLowerCase()) + 1;
      return rows.slice(start, start + limit).map(toVersion);
    },
    async getDeleted(vault, kind, name) {
      const r = await db()
        .selectFrom('vault_deleted_objects')
        .selectAll()
        .where('vault_key', '=', keyOf(vault))
        .where('kind', '=', kind)
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return r && toDeleted(r);
    },
    async listDeleted(vault, kind, afterName, limit) {
      let q = db().selectFrom('vault_deleted_objects').selectAll().where('vault_key', '=', keyOf(vault)).where('kind', '=', kind);
      if (afterName !== undefined) q = q.where('name_key', '>', afterName);
      return (await q.orderBy('name_key').limit(limit).execute()).map(toDeleted);
    },
    async putDeleted(d) {
      const row = {
        vault_key: keyOf(d.vault),
        kind: d.kind,
        name_key: keyOf(d.name),
        name: d.name,
        deleted_date: d.deletedDate,
        scheduled_purge_date: d.scheduledPurgeDate,
      };
      await db()
        .insertInto('vault_deleted_objects')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['vault_key', 'kind', 'name_key']).doUpdateSet({ deleted_date: row.deleted_date, scheduled_purge_date: row.scheduled_purge_date }),
        )
        .execute();
    },
    async removeDeleted(vault, kind, name) {
      const r = await db()
        .deleteFrom('vault_deleted_objects')
        .where('vault_key', '=', keyOf(vault))
        .where('kind', '=', kind)
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return countOf(r) > 0;
    },
    async deleteVersions(vault, kind, name) {
      const r = await db()
        .deleteFrom('vault_objects')
        .where('vault_key', '=', keyOf(vault))
        .where('kind', '=', kind)
        .where('name_key', '=', keyOf(name))
        .executeTakeFirst();
      return countOf(r);
    },
    async deleteVault(vault) {
      await db().deleteFrom('vault_deleted_objects').where('vault_key', '=', keyOf(vault)).execute();
      return countOf(await db().deleteFrom('vault_objects').where('vault_key', '=', keyOf(vault)).executeTakeFirst());
    },
  };
}
