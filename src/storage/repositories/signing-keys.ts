/** Token-signing keys, keyed by `kid` (case-sensitive: a base64url thumbprint), listed by activation time. */
import type { SigningKeyRecord } from '../../core/model.js';
import type { SigningKeyRepository } from '../../core/ports.js';
import type { SigningKeyTable } from '../schema.js';
import { countOf, insertOnce, type DbSource } from './shared.js';

function toKey(row: SigningKeyTable): SigningKeyRecord {
  return {
    kid: row.kid,
    privateKeyPem: row.private_key_pem,
    certificateDer: row.certificate_der,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    expiresAt: row.expires_at,
  };
}

export function createSigningKeyRepository(db: DbSource): SigningKeyRepository {
  return {
    async list() {
      const rows = await db().selectFrom('signing_keys').selectAll().orderBy('activates_at').orderBy('kid').execute();
      return rows.map(toKey);
    },
    async insert(key) {
      await insertOnce(
        db().insertInto('signing_keys').values({
          kid: key.kid,
          private_key_pem: key.privateKeyPem,
          certificate_der: key.certificateDer,
          created_at: key.createdAt,
          activates_at: key.activatesAt,
          expires_at: key.expiresAt,
        }),
        `A signing key with kid '${key.kid}' already exists.`,
      );
    },
    async setActivation(kid, activatesAt) {
      return countOf(await db().updateTable('signing_keys').set({ activates_at: activatesAt }).where('kid', '=', kid).executeTakeFirst()) > 0;
    },
    async deleteExpired(before) {
      // ISO-8601 UTC times of one format order as strings (byte-wise on both engines).
      return countOf(await db().deleteFrom('signing_keys').where('expires_at', '<', before).executeTakeFirst());
    },
  };
}
