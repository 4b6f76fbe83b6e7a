/**
 * Secrets and keys of a vault: versions, attributes, soft delete (delete → deleted-but-recoverable
 * for the vault's retention → recover or purge), and the key operations. Values and private keys are
 * sealed at rest, bound to vault, kind, name and version. Surfaces (src/dataplanes/keyvault) render
 * the results as Key Vault's bundles.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ValueSealing } from '../dataplanes/storage-keys.js';
import { badParameter, deletedNotFound, KeyVaultError, notFound } from './errors.js';
import { DEFAULT_KEY_OPS, decrypt, encrypt, generateKey, importKey, keyTypeOf, sign, verify, type KeyMaterial } from './key-crypto.js';
import type { DeletedObject, ObjectAttributes, VaultObjectKind, VaultObjectRepository, VaultObjectVersion } from './model.js';

/** Object names: 1–127 letters, digits and hyphens (Key Vault's rule). */
const OBJECT_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION = /^[0-9a-fA-F]{32}$/;
/** Azure's limit on a secret value: 25 KiB. */
export const MAX_SECRET_BYTES = 25 * 1024;
const KEY_OPS = new Set(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export']);

export interface AttributesInput {
  enabled?: unknown;
  nbf?: unknown;
  exp?: unknown;
}

export interface VaultContext {
  /** Vault name, lower-case. */
  vault: string;
  softDeleteRetentionInDays: number;
}

export type DeletedVersion = VaultObjectVersion & { deleted: DeletedObject };

function checkName(kind: VaultObjectKind, name: string): string {
  if (!OBJECT_NAME.test(name)) throw badParameter(`The ${kind} name '${name.slice(0, 130)}' is invalid: use 1 to 127 letters, digits and hyphens.`);
  return name;
}

function optionalSeconds(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badParameter(`'attributes.${what}' must be a Unix time in seconds.`);
  return value;
}

function tagsOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badParameter("'tags' must be an object of strings.");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 15 || entries.some(([k, v]) => typeof v !== 'string' || k.length > 512 || (v as string).length > 512)) {
    throw badParameter("'tags' may hold at most 15 string values of at most 512 characters.");
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export function createVaultService(deps: { objects: VaultObjectRepository; sealing: ValueSealing; clock: Clock }) {
  const { objects } = deps;
  let counter = 0;
  const seconds = () => Math.floor(deps.clock.now() / 1000);
  const bind = (v: Pick<VaultObjectVersion, 'vault' | 'kind' | 'name' | 'version'>) =>
    `vault-object\0${v.vault}\0${v.kind}\0${v.name.toLowerCase()}\0${v.version}\0`;
  const seal = (v: Pick<VaultObjectVersion, 'vault' | 'kind' | 'name' | 'version'>, plain: string) => deps.sealing.seal(bind(v) + plain);
  const open = (v: VaultObjectVersion) => {
    const plain = deps.sealing.open(v.sealedValue);
    if (!plain.startsWith(bind(v))) throw new Error(`the sealed value of ${v.kind} '${v.name}' belongs to another object`);
    return plain.slice(bind(v).length);
  };

  function attributesOf(input: AttributesInput | undefined, previous?: ObjectAttributes): ObjectAttributes {
    const now = seconds();
    if (input !== undefined && (typeof input !== 'object' || input === null)) throw badParameter("'attributes' must be an object.");
    const enabled = input?.enabled;
    if (enabled !== undefined && typeof enabled !== 'boolean') throw badParameter("'attributes.enabled' must be true or false.");
    return {
      enabled: enabled ?? previous?.enabled ?? true,
      notBefore: input?.nbf !== undefined ? optionalSeconds(input.nbf, 'nbf') : (previous?.notBefore ?? null),
      expires: input?.exp !== undefined ? optionalSeconds(input.exp, 'exp') : (previous?.expires ?? null),
      created: previous?.created ?? now,
      updated: now,
    };
  }

  async function refuseIfDeleted(ctx: VaultContext, kind: VaultObjectKind, name: string) {
    if (await objects.getDeleted(ctx.vault, kind, name)) {
      throw new KeyVaultError(
        'Conflict',
        `${kind === 'secret' ? 'Secret' : 'Key'} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the ${kind} can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
  }

  async function find(ctx: VaultContext, kind: VaultObjectKind, name: string, version: string | undefined): Promise<VaultObjectVersion> {
    checkName(kind, name);
    if (version && !VERSION.test(version)) throw notFound(kind, name, version);
    const found = version ? await objects.getVersion(ctx.vault, kind, name, version) : await objects.latest(ctx.vault, kind, name);
    if (!found || (await objects.getDeleted(ctx.vault, kind, name))) throw notFound(kind, name, version);
    return found;
  }

  async function newVersion(
    ctx: VaultContext,
    kind: VaultObjectKind,
    name: string,
    plain: string,
    fields: Pick<VaultObjectVersion, 'publicKey' | 'contentType' | 'tags'>,
    attributes: AttributesInput | undefined,
  ): Promise<VaultObjectVersion> {
    checkName(kind, name);
    await refuseIfDeleted(ctx, kind, name);
    const base = { vault: ctx.vault, kind, name, version: randomBytes(16).toString('hex') };
    const previous = await objects.latest(ctx.vault, kind, name);
    const record: VaultObjectVersion = {
      ...base,
      name: previous?.name ?? name,
      sealedValue: '',
      ...fields,
      attributes: attributesOf(attributes),
      createdSeq: deps.clock.now() * 1000 + (counter = (counter + 1) % 1000),
    };
    record.sealedValue = seal(record, plain);
    await objects.insertVersion(record);
    return record;
  }

  function usable(v: VaultObjectVersion, operation: string): void {
    const now = seconds();
    const a = v.attributes;
    if (!a.enabled)
      throw new KeyVaultError(
        'Forbidden',
        `Operation ${operation} is not allowed on a disabled ${v.kind}.`,
        v.kind === 'secret' ? 'SecretDisabled' : 'KeyDisabled',
      );
    if (a.notBefore !== null && now < a.notBefore)
      throw new KeyVaultError('Forbidden', `Operation ${operation} is not allowed before the ${v.kind}'s activation date.`, 'NotYetValid');
    if (a.expires !== null && now > a.expires)
      throw new KeyVaultError('Forbidden', `Operation ${operation} is not allowed on an expired ${v.kind}.`, 'Expired');
  }

  function keyOps(v: VaultObjectVersion): string[] {
    return Array.isArray(v.publicKey?.['key_ops']) ? (v.publicKey!['key_ops'] as string[]) : [];
  }

  function keyFor(v: VaultObjectVersion, op: string): string {
    usable(v, op);
    if (!keyOps(v).includes(op)) throw new KeyVaultError('Forbidden', `Operation ${op} is not permitted on this key.`, 'KeyOperationForbidden');
    return open(v);
  }

  const generic = (kind: VaultObjectKind) => ({
    get: (ctx: VaultContext, name: string, version?: string) => find(ctx, kind, name, version),
    async list(ctx: VaultContext, after: string | undefined, limit: number) {
      const items = await objects.listLatest(ctx.vault, kind, after, limit + 1);
      const deleted = new Set((await objects.listDeleted(ctx.vault, kind, undefined, 100_000)).map((d) => d.name.toLowerCase()));
      const visible = items.filter((i) => !deleted.has(i.name.toLowerCase()));
      return { items: visible.slice(0, limit), next: items.length > limit ? items[limit - 1]!.name.toLowerCase() : undefined };
    },
    async listVersions(ctx: VaultContext, name: string, after: string | undefined, limit: number) {
      checkName(kind, name);
      if (await objects.getDeleted(ctx.vault, kind, name)) throw notFound(kind, name);
      const items = await objects.listVersions(ctx.vault, kind, name, after, limit + 1);
      if (items.length === 0 && after === undefined) throw notFound(kind, name);
      return { items: items.slice(0, limit), next: items.length > limit ? items[limit - 1]!.version : undefined };
    },
    async update(
      ctx: VaultContext,
      name: string,
      version: string | undefined,
      patch: { attributes?: AttributesInput; tags?: unknown; contentType?: unknown; keyOps?: unknown },
    ) {
      const found = await find(ctx, kind, name, version);
      const updated: VaultObjectVersion = {
        ...found,
        attributes: attributesOf(patch.attributes, found.attributes),
        tags: patch.tags === undefined ? found.tags : tagsOf(patch.tags),
        contentType: patch.contentType === undefined ? found.contentType : typeof patch.contentType === 'string' ? patch.contentType : null,
      };
      if (kind === 'key' && patch.keyOps !== undefined)
        updated.publicKey = { ...found.publicKey, key_ops: keyOpsOf(patch.keyOps, keyTypeOf(found.publicKey?.['kty'])) };
      await objects.updateVersion(updated);
      return updated;
    },
    async delete(ctx: VaultContext, name: string): Promise<DeletedVersion> {
      const found = await find(ctx, kind, name, undefined);
      const now = seconds();
      const deleted: DeletedObject = {
        vault: ctx.vault,
        kind,
        name: found.name,
        deletedDate: now,
        scheduledPurgeDate: now + ctx.softDeleteRetentionInDays * 86400,
      };
      await objects.putDeleted(deleted);
      return { ...found, deleted };
    },
    async getDeleted(ctx: VaultContext, name: string): Promise<DeletedVersion> {
      checkName(kind, name);
      const deleted = await objects.getDeleted(ctx.vault, kind, name);
      const latest = deleted && (await objects.latest(ctx.vault, kind, name));
      if (!deleted || !latest) throw deletedNotFound(kind, name);
      return { ...latest, deleted };
    },
    async listDeleted(ctx: VaultContext, after: string | undefined, limit: number) {
      const items = await objects.listDeleted(ctx.vault, kind, after, limit + 1);
      const out: DeletedVersion[] = [];
      for (const d of items.slice(0, limit)) {
        const latest = await objects.latest(ctx.vault, kind, d.name);
        if (latest) out.push({ ...latest, deleted: d });
      }
      return { items: out, next: items.length > limit ? items[limit - 1]!.name.toLowerCase() : undefined };
    },
    async recover(ctx: VaultContext, name: string): Promise<VaultObjectVersion> {
      const d = await this.getDeleted(ctx, name);
      await objects.removeDeleted(ctx.vault, kind, name);
      return d;
    },
    async purge(ctx: VaultContext, name: string, purgeProtected: boolean): Promise<void> {
      await this.getDeleted(ctx, name);
      if (purgeProtected)
        throw new KeyVaultError(
          'Forbidden',
          `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`,
          'PurgeProtected',
        );
      await objects.deleteVersions(ctx.vault, kind, name);
      await objects.removeDeleted(ctx.vault, kind, name);
    },
  });

  function keyOpsOf(value: unknown, kty: 'RSA' | 'EC'): string[] {
    if (value === undefined || value === null) return DEFAULT_KEY_OPS[kty];
    if (!Array.isArray(value) || value.some((o) => typeof o !== 'string' || !KEY_OPS.has(o)))
      throw badParameter(`'key_ops' must be a list of ${[...KEY_OPS].join(', ')}.`);
    return [...new Set(value as string[])];
  }

  const secrets = generic('secret');
  const keys = generic('key');

  return {
    secrets: {
      ...secrets,
      async set(ctx: VaultContext, name: string, body: { value?: unknown; contentType?: unknown; attributes?: AttributesInput; tags?: unknown }) {
        if (typeof body.value !== 'string') throw badParameter("The request must have a 'value' string.");
        if (Buffer.byteLength(body.value) > MAX_SECRET_BYTES) throw badParameter(`A secret value may be at most ${MAX_SECRET_BYTES} bytes.`);
        const contentType = body.contentType === undefined || body.contentType === null ? null : String(body.contentType);
        return newVersion(ctx, 'secret', name, body.value, { publicKey: null, contentType, tags: tagsOf(body.tags) }, body.attributes);
      },
      /** The value of a version, after its attributes allow reading it. */
      async value(ctx: VaultContext, name: string, version?: string) {
        const found = await find(ctx, 'secret', name, version);
        usable(found, 'get');
        return { version: found, value: open(found) };
      },
    },
    keys: {
      ...keys,
      async create(
        ctx: VaultContext,
        name: string,
        body: { kty?: unknown; key_size?: unknown; crv?: unknown; key_ops?: unknown; attributes?: AttributesInput; tags?: unknown; public_exponent?: unknown },
      ) {
        const kty = keyTypeOf(body.kty);
        if (body.public_exponent !== undefined && body.public_exponent !== 65537) throw badParameter('Only the public exponent 65537 is supported.');
        const material: KeyMaterial = generateKey(kty, body.key_size, body.crv);
        return newVersion(
          ctx,
          'key',
          name,
          material.privatePem,
          { publicKey: { ...material.publicJwk, key_ops: keyOpsOf(body.key_ops, kty) }, contentType: null, tags: tagsOf(body.tags) },
          body.attributes,
        );
      },
      async import(ctx: VaultContext, name: string, body: { key?: unknown; attributes?: AttributesInput; tags?: unknown }) {
        if (typeof body.key !== 'object' || body.key === null) throw badParameter("The request must have a 'key' JSON Web Key.");
        const material = importKey(body.key as Record<string, unknown>);
        const ops = keyOpsOf((body.key as Record<string, unknown>)['key_ops'], material.kty);
        return newVersion(
          ctx,
          'key',
          name,
          material.privatePem,
          { publicKey: { ...material.publicJwk, key_ops: ops }, contentType: null, tags: tagsOf(body.tags) },
          body.attributes,
        );
      },
      /** encrypt / decrypt / wrapKey / unwrapKey / sign / verify. */
      async operate(
        ctx: VaultContext,
        name: string,
        version: string | undefined,
        op: 'encrypt' | 'decrypt' | 'wrapKey' | 'unwrapKey' | 'sign' | 'verify',
        body: { alg?: unknown; value?: unknown; digest?: unknown },
      ) {
        const found = await find(ctx, 'key', name, version);
        const pem = keyFor(found, op);
        if (typeof body.alg !== 'string') throw badParameter("The request must name the algorithm in 'alg'.");
        const alg = body.alg;
        switch (op) {
          case 'encrypt':
          case 'wrapKey':
            return { version: found, value: encrypt(pem, alg, body.value) };
          case 'decrypt':
          case 'unwrapKey':
            return { version: found, value: decrypt(pem, alg, body.value) };
          case 'sign':
            return { version: found, value: sign(pem, alg, body.value) };
          case 'verify':
            return { version: found, verified: verify(pem, alg, body.digest, body.value) };
        }
      },
    },
    /** Everything of a vault, when the vault itself is purged. */
    removeVault: (vault: string) => objects.deleteVault(vault.toLowerCase()),
  };
}

export type VaultService = ReturnType<typeof createVaultService>;
