/**
 * Key Vault's REST paths (secrets and keys, 7.x) to vault-service calls, and the bundles they answer
 * with (`SecretBundle`, `KeyBundle`, `Deleted*Bundle`, `*ListResult` with `nextLink`, `KeyOperationResult`).
 * Ids are `{vault origin}/{secrets|keys}/{name}/{version}` — the form the SDKs parse.
 */
import { badParameter, KeyVaultError } from '../../core/keyvault/errors.js';
import type { VaultObjectVersion } from '../../core/keyvault/model.js';
import type { VaultOperation } from '../../core/keyvault/permissions.js';
import type { DeletedVersion, VaultContext, VaultService } from '../../core/keyvault/vault-service.js';

export interface VaultRequest {
  method: string;
  /** Path segments below the vault (empty segments kept: `keys/k//encrypt`). */
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** `https://{vault host[:port]}` as the client addressed it. */
  origin: string;
  vault: VaultContext;
  recoveryLevel: string;
  recoverableDays: number;
  purgeProtected: boolean;
  /** Throws Forbidden unless the caller may perform the operation (on `secrets/{name}` / `keys/{name}`, or the vault). */
  authorize(operation: VaultOperation, objectScope?: string): void;
}

interface Answer {
  status: number;
  body?: unknown;
}

const MAX_RESULTS = 25;

function attributes(v: VaultObjectVersion, r: VaultRequest) {
  const a = v.attributes;
  return {
    enabled: a.enabled,
    ...(a.notBefore !== null ? { nbf: a.notBefore } : {}),
    ...(a.expires !== null ? { exp: a.expires } : {}),
    created: a.created,
    updated: a.updated,
    recoveryLevel: r.recoveryLevel,
    recoverableDays: r.recoverableDays,
  };
}

const collection = (v: VaultObjectVersion) => (v.kind === 'secret' ? 'secrets' : 'keys');
const idOf = (r: VaultRequest, v: VaultObjectVersion, withVersion = true) => `${r.origin}/${collection(v)}/${v.name}${withVersion ? `/${v.version}` : ''}`;

function secretBundle(r: VaultRequest, v: VaultObjectVersion, value?: string) {
  return {
    ...(value === undefined ? {} : { value }),
    id: idOf(r, v),
    ...(v.contentType ? { contentType: v.contentType } : {}),
    attributes: attributes(v, r),
    tags: v.tags,
  };
}

function keyBundle(r: VaultRequest, v: VaultObjectVersion) {
  return { key: { kid: idOf(r, v), ...v.publicKey }, attributes: attributes(v, r), tags: v.tags };
}

function deletedFields(r: VaultRequest, d: DeletedVersion) {
  return { recoveryId: `${r.origin}/deleted${collection(d)}/${d.name}`, deletedDate: d.deleted.deletedDate, scheduledPurgeDate: d.deleted.scheduledPurgeDate };
}

function listItem(r: VaultRequest, v: VaultObjectVersion, withVersion: boolean) {
  const common = { attributes: attributes(v, r), tags: v.tags };
  return v.kind === 'secret'
    ? { id: idOf(r, v, withVersion), ...(v.contentType ? { contentType: v.contentType } : {}), ...common }
    : { kid: idOf(r, v, withVersion), ...common };
}

function page(r: VaultRequest): { after: string | undefined; limit: number } {
  const raw = r.query.get('maxresults');
  const limit = raw === null ? MAX_RESULTS : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 25) throw badParameter("'maxresults' must be a whole number from 1 to 25.");
  const token = r.query.get('$skiptoken');
  let after: string | undefined;
  if (token) {
    const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
    if (!text.startsWith('k1:')) throw badParameter('The $skiptoken is not one this vault returned.');
    after = text.slice(3);
  }
  return { after, limit };
}

function nextLink(r: VaultRequest, path: string, next: string | undefined, limit: number): string | null {
  if (next === undefined) return null;
  const q = new URLSearchParams({
    'api-version': r.query.get('api-version')!,
    $skiptoken: Buffer.from(`k1:${next}`).toString('base64url'),
    maxresults: String(limit),
  });
  return `${r.origin}/${path}?${q.toString()}`;
}

const KEY_OPERATIONS: Record<string, 'encrypt' | 'decrypt' | 'wrapKey' | 'unwrapKey' | 'sign' | 'verify'> = {
  encrypt: 'encrypt',
  decrypt: 'decrypt',
  wrapkey: 'wrapKey',
  unwrapkey: 'unwrapKey',
  sign: 'sign',
  verify: 'verify',
};

export async function routeVaultRequest(vaults: VaultService, r: VaultRequest): Promise<Answer> {
  const [root = '', name, a, b, ...rest] = r.segments;
  const m = r.method;
  const ctx = r.vault;
  const unsupported = () =>
    new KeyVaultError(
      'BadParameter',
      `Keyless does not serve ${m} /${r.segments.join('/')} on a vault (secrets and keys only; no certificates, backups or rotation policies).`,
    );
  if (rest.length > 0 || (name === '' && root !== 'keys' && root !== 'secrets')) throw unsupported();
  const scope = (kind: 'secrets' | 'keys') => (name ? `${kind}/${name}` : undefined);

  switch (root.toLowerCase()) {
    case 'secrets': {
      if (name === undefined || name === '') {
        if (m !== 'GET') throw unsupported();
        r.authorize('listSecrets');
        const p = page(r);
        const result = await vaults.secrets.list(ctx, p.after, p.limit);
        return { status: 200, body: { value: result.items.map((v) => listItem(r, v, false)), nextLink: nextLink(r, 'secrets', result.next, p.limit) } };
      }
      if (a === 'versions' && b === undefined && m === 'GET') {
        r.authorize('listSecretVersions', scope('secrets'));
        const p = page(r);
        const result = await vaults.secrets.listVersions(ctx, name, p.after, p.limit);
        return {
          status: 200,
          body: { value: result.items.map((v) => listItem(r, v, true)), nextLink: nextLink(r, `secrets/${name}/versions`, result.next, p.limit) },
        };
      }
      if (b !== undefined) throw unsupported();
      const version = a || undefined;
      if (m === 'PUT' && version === undefined) {
        r.authorize('setSecret', scope('secrets'));
        const v = await vaults.secrets.set(ctx, name, r.body as never);
        // Set Secret answers the whole SecretBundle, value included, as Azure's (the REST spec's
        // setSecret example; `az rest` and the SDKs' set_secret(...).value read it).
        return { status: 200, body: secretBundle(r, v, (r.body as { value: string }).value) };
      }
      if (m === 'GET') {
        r.authorize('getSecret', scope('secrets'));
        const { version: v, value } = await vaults.secrets.value(ctx, name, version);
        return { status: 200, body: secretBundle(r, v, value) };
      }
      if (m === 'PATCH') {
        r.authorize('updateSecret', scope('secrets'));
        const v = await vaults.secrets.update(ctx, name, version, r.body as never);
        return { status: 200, body: secretBundle(r, v) };
      }
      if (m === 'DELETE' && version === undefined) {
        r.authorize('deleteSecret', scope('secrets'));
        const d = await vaults.secrets.delete(ctx, name);
        return { status: 200, body: { ...deletedFields(r, d), ...secretBundle(r, d) } };
      }
      throw unsupported();
    }
    case 'deletedsecrets': {
      if (name === undefined || name === '') {
        r.authorize('listDeletedSecrets');
        const p = page(r);
        const result = await vaults.secrets.listDeleted(ctx, p.after, p.limit);
        return {
          status: 200,
          body: {
            value: result.items.map((d) => ({ ...deletedFields(r, d), ...listItem(r, d, false) })),
            nextLink: nextLink(r, 'deletedsecrets', result.next, p.limit),
          },
        };
      }
      if (m === 'GET' && a === undefined) {
        r.authorize('getDeletedSecret', scope('secrets'));
        const d = await vaults.secrets.getDeleted(ctx, name);
        return { status: 200, body: { ...deletedFields(r, d), ...secretBundle(r, d) } };
      }
      if (m === 'POST' && a === 'recover') {
        r.authorize('recoverSecret', scope('secrets'));
        return { status: 200, body: secretBundle(r, await vaults.secrets.recover(ctx, name)) };
      }
      if (m === 'DELETE' && a === undefined) {
        r.authorize('purgeSecret', scope('secrets'));
        await vaults.secrets.purge(ctx, name, r.purgeProtected);
        return { status: 204 };
      }
      throw unsupported();
    }
    case 'keys': {
      if (name === undefined || name === '') {
        if (m !== 'GET') throw unsupported();
        r.authorize('listKeys');
        const p = page(r);
        const result = await vaults.keys.list(ctx, p.after, p.limit);
        return { status: 200, body: { value: result.items.map((v) => listItem(r, v, false)), nextLink: nextLink(r, 'keys', result.next, p.limit) } };
      }
      if (a === 'create' && b === undefined && m === 'POST') {
        r.authorize('createKey', scope('keys'));
        return { status: 200, body: keyBundle(r, await vaults.keys.create(ctx, name, r.body as never)) };
      }
      if (a === 'versions' && b === undefined && m === 'GET') {
        r.authorize('listKeyVersions', scope('keys'));
        const p = page(r);
        const result = await vaults.keys.listVersions(ctx, name, p.after, p.limit);
        return {
          status: 200,
          body: { value: result.items.map((v) => listItem(r, v, true)), nextLink: nextLink(r, `keys/${name}/versions`, result.next, p.limit) },
        };
      }
      if (b !== undefined) {
        const op = KEY_OPERATIONS[b.toLowerCase()];
        if (!op || m !== 'POST') throw unsupported();
        r.authorize(op, scope('keys'));
        const result = await vaults.keys.operate(ctx, name, a || undefined, op, r.body as never);
        const kid = idOf(r, result.version);
        return { status: 200, body: 'verified' in result ? { value: result.verified } : { kid, value: result.value!.toString('base64url') } };
      }
      const version = a || undefined;
      if (m === 'PUT' && version === undefined) {
        r.authorize('importKey', scope('keys'));
        return { status: 200, body: keyBundle(r, await vaults.keys.import(ctx, name, r.body as never)) };
      }
      if (m === 'GET') {
        r.authorize('getKey', scope('keys'));
        return { status: 200, body: keyBundle(r, await vaults.keys.get(ctx, name, version)) };
      }
      if (m === 'PATCH') {
        r.authorize('updateKey', scope('keys'));
        return {
          status: 200,
          body: keyBundle(
            r,
            await vaults.keys.update(ctx, name, version, { attributes: r.body['attributes'] as never, tags: r.body['tags'], keyOps: r.body['key_ops'] }),
          ),
        };
      }
      if (m === 'DELETE' && version === undefined) {
        r.authorize('deleteKey', scope('keys'));
        const d = await vaults.keys.delete(ctx, name);
        return { status: 200, body: { ...deletedFields(r, d), ...keyBundle(r, d) } };
      }
      throw unsupported();
    }
    case 'deletedkeys': {
      if (name === undefined || name === '') {
        r.authorize('listDeletedKeys');
        const p = page(r);
        const result = await vaults.keys.listDeleted(ctx, p.after, p.limit);
        return {
          status: 200,
          body: {
            value: result.items.map((d) => ({ ...deletedFields(r, d), ...listItem(r, d, false) })),
            nextLink: nextLink(r, 'deletedkeys', result.next, p.limit),
          },
        };
      }
      if (m === 'GET' && a === undefined) {
        r.authorize('getDeletedKey', scope('keys'));
        const d = await vaults.keys.getDeleted(ctx, name);
        return { status: 200, body: { ...deletedFields(r, d), ...keyBundle(r, d) } };
      }
      if (m === 'POST' && a === 'recover') {
        r.authorize('recoverKey', scope('keys'));
        return { status: 200, body: keyBundle(r, await vaults.keys.recover(ctx, name)) };
      }
      if (m === 'DELETE' && a === undefined) {
        r.authorize('purgeKey', scope('keys'));
        await vaults.keys.purge(ctx, name, r.purgeProtected);
        return { status: 204 };
      }
      throw unsupported();
    }
  }
  throw unsupported();
}
