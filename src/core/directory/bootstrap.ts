/**
 * First-start bootstrap: a default tenant, a default subscription and an admin application with a
 * client secret. Idempotent and safe when several servers start at once against one database: the
 * chosen ids are claimed through `meta.putIfAbsent`, and only the server whose claim won inserts them.
 */
import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import type { IdGenerator } from '../ids.js';
import type { ServicePrincipal, Subscription, Tenant } from '../model.js';
import type { Repositories, Store } from '../ports.js';
import type { ClientSecretHasher } from './secrets-port.js';

/** What the bootstrap records in `meta` under {@link BOOTSTRAP_META_KEY}. */
export interface BootstrapIdentity {
  tenantId: string;
  subscriptionId: string;
  /** The admin application's client (app) id. */
  clientId: string;
  /** The admin service principal's object id. */
  objectId: string;
}

export const BOOTSTRAP_META_KEY = 'bootstrap';
export const DEFAULT_SUBSCRIPTION_NAME = 'Keyless Subscription';
export const ADMIN_DISPLAY_NAME = 'keyless-admin';

export interface BootstrapDeps {
  store: Store;
  ids: IdGenerator;
  clock: Clock;
  secrets: ClientSecretHasher;
}

/** Returns the bootstrap identity, creating tenant, subscription and admin on the very first start. */
export async function ensureBootstrap(deps: BootstrapDeps): Promise<BootstrapIdentity> {
  const existing = await deps.store.meta.get(BOOTSTRAP_META_KEY);
  if (existing) return JSON.parse(existing) as BootstrapIdentity;
  const proposal: BootstrapIdentity = {
    tenantId: deps.ids.newGuid(),
    subscriptionId: deps.ids.newGuid(),
    clientId: deps.ids.newGuid(),
    objectId: deps.ids.newGuid(),
  };
  return deps.store.transaction(async (tx) => {
    const stored = await tx.meta.putIfAbsent(BOOTSTRAP_META_KEY, JSON.stringify(proposal));
    const winner = JSON.parse(stored) as BootstrapIdentity;
    if (winner.tenantId === proposal.tenantId) await insertBootstrapRecords(tx, proposal, deps.clock, deps.ids);
    return winner;
  });
}

async function insertBootstrapRecords(tx: Repositories, id: BootstrapIdentity, clock: Clock, ids: IdGenerator): Promise<void> {
  const now = isoTime(clock.now());
  const tenant: Tenant = { id: id.tenantId, displayName: 'Keyless Directory', defaultDomain: 'keyless.local', createdAt: now };
  const subscription: Subscription = {
    id: id.subscriptionId,
    tenantId: id.tenantId,
    displayName: DEFAULT_SUBSCRIPTION_NAME,
    state: 'Enabled',
    createdAt: now,
  };
  const admin: ServicePrincipal = {
    objectId: id.objectId,
    appId: id.clientId,
    tenantId: id.tenantId,
    displayName: ADMIN_DISPLAY_NAME,
    kind: 'Application',
    resourceId: null,
    createdAt: now,
  };
  await tx.tenants.insert(tenant);
  await tx.subscriptions.insert(subscription);
  await tx.principals.insert(admin);
  // The admin's app registration, as Graph shows it (its object id is the application's, not the principal's).
  await tx.applications.insert({ objectId: ids.newGuid(), appId: id.clientId, tenantId: id.tenantId, displayName: ADMIN_DISPLAY_NAME, createdAt: now });
}

/**
 * Adds a new client secret to an application and returns it in clear, once. Used for the admin's
 * secret on first start, and when a server starts on a data dir that has no copy of a secret
 * (e.g. a second server sharing the PostgreSQL database).
 */
export async function addClientSecret(
  deps: Pick<BootstrapDeps, 'store' | 'ids' | 'clock' | 'secrets'>,
  app: { tenantId: string; appId: string },
  displayName: string,
): Promise<{ id: string; secret: string }> {
  const secret = deps.secrets.generate();
  const id = deps.ids.newGuid();
  await deps.store.clientSecrets.insert({
    id,
    tenantId: app.tenantId,
    appId: app.appId,
    hash: deps.secrets.hash(secret),
    hint: secret.slice(0, 3),
    displayName,
    createdAt: isoTime(deps.clock.now()),
    expiresAt: null,
  });
  return { id, secret };
}

/** True when `secret` is a live secret of the application. */
export async function checkClientSecret(
  deps: Pick<BootstrapDeps, 'store' | 'clock' | 'secrets'>,
  app: { tenantId: string; appId: string },
  secret: string,
): Promise<boolean> {
  const records = await deps.store.clientSecrets.listByApp(app.tenantId, app.appId);
  const now = deps.clock.now();
  return records.some((r) => (r.expiresAt === null || Date.parse(r.expiresAt) > now) && deps.secrets.verify(secret, r.hash));
}
