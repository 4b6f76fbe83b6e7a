/**
 * Per-cluster OIDC issuers (AKS `oidcIssuerProfile`), hosted by Keyless: each cluster with the issuer
 * enabled gets `{base}/oidc/{tenantId}/{uuid}/` (AKS: `https://{region}.oic.prod-aks.azure.com/{tenantId}/{uuid}/`,
 * trailing slash included; the uuid is random and immutable), a discovery document and a JWKS at
 * `{issuer}openid/v1/jwks` as AKS publishes them, and an RS256 service-account signing key of its own,
 * sealed at rest (the private key never leaves the database unsealed). `kid` is the base64url SHA-256
 * of the key's DER SubjectPublicKeyInfo, as kube-apiserver and AKS compute it. Rotation publishes the
 * old and the new key together (AKS's overlap), and signs with the new one.
 *
 * The key is made by the cluster's write, in its transaction (`ensure`), and retired when the cluster
 * is deleted (`retire`): an issuer is served exactly while its cluster exists.
 * The crypto is behind {@link IssuerKeyCrypto} (src/crypto/cluster-issuer-keys.ts): core does no crypto.
 */
import { DomainError } from '../errors.js';
import { isGuid, type IdGenerator } from '../ids.js';
import type { MetaRepository } from '../ports.js';

/** A published key (RSA public JWK with `kid`, `use`, `alg`). */
export type PublicJwk = Record<string, unknown> & { kid: string };

interface StoredKey {
  kid: string;
  publicJwk: PublicJwk;
  /** The private key, sealed. */
  sealed: string;
  createdAt: string;
}

interface StoredIssuer {
  /** Newest last; the last one signs. Empty once the cluster is deleted. */
  keys: StoredKey[];
}

/** Key generation, sealing and signing (implemented in src/crypto). */
export interface IssuerKeyCrypto {
  generate(): Promise<{ kid: string; publicJwk: PublicJwk; sealed: string }>;
  /** A compact RS256 JWS of `claims` with `kid`, signed by the sealed key. */
  sign(sealed: string, kid: string, claims: Record<string, unknown>): Promise<string>;
}

export interface ClusterIssuerDeps {
  /** Reads and rotation (writes by cluster changes go through the write's own transaction). */
  meta: Pick<MetaRepository, 'get' | 'put'>;
  crypto: IssuerKeyCrypto;
  ids: IdGenerator;
  clock: { now(): number };
  /** This server's public origin, e.g. `https://127.0.0.1:8443`. */
  baseUrl(): string;
}

export const ISSUER_PATH = '/oidc';
const metaKey = (tenantId: string, uuid: string) => `oidc-issuer:${tenantId.toLowerCase()}/${uuid.toLowerCase()}`;

export interface ClusterIssuers {
  /** A new issuer URL for a cluster of `tenantId` (a fresh uuid). */
  newIssuerUrl(tenantId: string): string;
  /** `{tenantId, uuid}` of an issuer URL this server hosts, or undefined. */
  parse(issuer: string): { tenantId: string; uuid: string } | undefined;
  /** The discovery document (AKS's fields). */
  discovery(tenantId: string, uuid: string): Record<string, unknown>;
  /** The published keys, or undefined when no cluster has this issuer. */
  jwks(tenantId: string, uuid: string): Promise<{ keys: PublicJwk[] } | undefined>;
  /** Makes the issuer's first key inside a cluster write's transaction (no-op when it has one). */
  ensure(meta: Pick<MetaRepository, 'get' | 'putIfAbsent'>, issuer: string): Promise<void>;
  /** The cluster is gone: its issuer publishes nothing more and signs nothing more. */
  retire(meta: Pick<MetaRepository, 'put'>, issuer: string): Promise<void>;
  /** The JWKS of an issuer this server hosts (for the client-assertion check), or undefined. */
  localJwks(issuer: string): Promise<{ keys: PublicJwk[] } | undefined>;
  /** Signs a token as the issuer (service-account tokens of the cluster's pods). */
  sign(issuer: string, claims: Record<string, unknown>): Promise<string>;
  /** A new signing key; the previous one stays published (the overlap), older ones go. */
  rotate(issuer: string): Promise<void>;
}

export function createClusterIssuers(deps: ClusterIssuerDeps): ClusterIssuers {
  const base = () => `${deps.baseUrl().replace(/\/+$/, '')}${ISSUER_PATH}`;

  async function load(tenantId: string, uuid: string): Promise<StoredIssuer | undefined> {
    const stored = await deps.meta.get(metaKey(tenantId, uuid));
    const issuer = stored ? (JSON.parse(stored) as StoredIssuer) : undefined;
    return issuer && issuer.keys.length > 0 ? issuer : undefined;
  }

  function parse(issuer: string): { tenantId: string; uuid: string } | undefined {
    const prefix = `${base()}/`;
    if (!issuer.startsWith(prefix) || !issuer.endsWith('/')) return undefined;
    const [tenantId, uuid, ...rest] = issuer.slice(prefix.length, -1).split('/');
    if (rest.length > 0 || !tenantId || !uuid || !isGuid(tenantId) || !isGuid(uuid)) return undefined;
    return { tenantId, uuid };
  }

  function required(issuer: string): { tenantId: string; uuid: string } {
    const parts = parse(issuer);
    if (!parts) throw new DomainError('InvalidParameter', `'${issuer.slice(0, 200)}' is not an OIDC issuer of this server.`);
    return parts;
  }

  return {
    newIssuerUrl: (tenantId) => `${base()}/${tenantId}/${deps.ids.newGuid()}/`,
    parse,
    discovery(tenantId, uuid) {
      const issuer = `${base()}/${tenantId}/${uuid}/`;
      return {
        issuer,
        jwks_uri: `${issuer}openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      };
    },
    async jwks(tenantId, uuid) {
      const stored = await load(tenantId, uuid);
      return stored && { keys: stored.keys.map((k) => k.publicJwk) };
    },
    async localJwks(issuer) {
      const parts = parse(issuer);
      if (!parts) return undefined;
      // Hosted here: never fetched over the network; a retired issuer publishes no keys.
      return { keys: (await load(parts.tenantId, parts.uuid))?.keys.map((k) => k.publicJwk) ?? [] };
    },
    async ensure(meta, issuer) {
      const { tenantId, uuid } = required(issuer);
      const stored = await meta.get(metaKey(tenantId, uuid));
      if (stored && (JSON.parse(stored) as StoredIssuer).keys.length > 0) return;
      const key = await deps.crypto.generate();
      await meta.putIfAbsent(
        metaKey(tenantId, uuid),
        JSON.stringify({ keys: [{ ...key, createdAt: new Date(deps.clock.now()).toISOString() }] } satisfies StoredIssuer),
      );
    },
    async retire(meta, issuer) {
      const parts = parse(issuer);
      if (parts) await meta.put(metaKey(parts.tenantId, parts.uuid), JSON.stringify({ keys: [] } satisfies StoredIssuer));
    },
    async sign(issuer, claims) {
      const { tenantId, uuid } = required(issuer);
      const signing = (await load(tenantId, uuid))?.keys.at(-1);
      if (!signing) throw new DomainError('ResourceNotFound', `The OIDC issuer '${issuer.slice(0, 200)}' has no cluster any more.`);
      return deps.crypto.sign(signing.sealed, signing.kid, claims);
    },
    async rotate(issuer) {
      const { tenantId, uuid } = required(issuer);
      const current = await load(tenantId, uuid);
      if (!current) throw new DomainError('ResourceNotFound', `The OIDC issuer '${issuer.slice(0, 200)}' has no cluster any more.`);
      const key = await deps.crypto.generate();
      const next: StoredIssuer = { keys: [...current.keys.slice(-1), { ...key, createdAt: new Date(deps.clock.now()).toISOString() }] };
      await deps.meta.put(metaKey(tenantId, uuid), JSON.stringify(next));
    },
  };
}
