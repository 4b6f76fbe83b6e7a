/**
 * App registrations and their service principals, as Microsoft Graph manages them: an application
 * object (`id`, `appId`, `displayName`, password credentials) and, created from its `appId`, the
 * service principal that signs in. Secrets belong to the application; they are generated here, shown
 * once, and stored as digests (docs/adr/0002-client-secrets.md).
 *
 * Who may write: docs/adr/0006-directory-permissions.md — the directory administrators (the bootstrap
 * admin) only; every principal of the tenant may read. Every write calls `onChange` so that this
 * server's token-path read cache forgets at once (other servers' caches expire within a second).
 */
import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import { isGuid, type IdGenerator } from '../ids.js';
import type { ClientSecretRecord, ServicePrincipal } from '../model.js';
import type { Store } from '../ports.js';
import type { ClientSecretHasher } from './secrets-port.js';

/** A Graph application object as stored. */
export interface ApplicationRecord {
  /** Object id of the application (Graph `id`), not of its service principal. */
  objectId: string;
  appId: string;
  tenantId: string;
  displayName: string;
  createdAt: string;
}

export interface ApplicationRepository {
  get(tenantId: string, objectId: string): Promise<ApplicationRecord | undefined>;
  getByAppId(tenantId: string, appId: string): Promise<ApplicationRecord | undefined>;
  /** Every application of the tenant, by object id. */
  list(tenantId: string): Promise<ApplicationRecord[]>;
  insert(app: ApplicationRecord): Promise<void>;
  update(app: ApplicationRecord): Promise<boolean>;
  delete(tenantId: string, objectId: string): Promise<boolean>;
  /** Every service principal of the tenant (applications' and managed identities'), by object id. */
  listPrincipals(tenantId: string): Promise<ServicePrincipal[]>;
}

/** Why a directory request failed, with Microsoft Graph's code. */
export type DirectoryErrorKind = 'invalid' | 'forbidden' | 'not-found' | 'conflict';

export class DirectoryError extends Error {
  constructor(
    readonly kind: DirectoryErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

export const isDirectoryError = (e: unknown): e is DirectoryError => e instanceof DirectoryError;

/** Graph's answer when the caller lacks a directory permission (az looks for "insufficient privileges"). */
export const insufficientPrivileges = () =>
  new DirectoryError('forbidden', 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

const notFound = (id: string) =>
  new DirectoryError(
    'not-found',
    'Request_ResourceNotFound',
    `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`,
  );
const badRequest = (message: string) => new DirectoryError('invalid', 'Request_BadRequest', message);

/** Who asks: the caller's object id and tenant, from its verified Graph token. */
export interface DirectoryCaller {
  objectId: string;
  tenantId: string;
}

/** A password credential as Graph shows it; `secretText` only in the answer that creates it. */
export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string;
  startDateTime: string;
  endDateTime: string;
  secretText?: string;
}

export interface NewPassword {
  displayName?: string | null;
  startDateTime?: string;
  endDateTime?: string;
}

/** Graph's default lifetime of a password credential when `endDateTime` is not given: two years. */
const DEFAULT_PASSWORD_YEARS = 2;
/** Entra's limit on a display name (applications and credentials). */
const MAX_DISPLAY_NAME = 256;

export interface ApplicationServiceDeps {
  store: Store;
  ids: IdGenerator;
  clock: Clock;
  secrets: ClientSecretHasher;
  /** Object ids of the directory administrators (the bootstrap admin). */
  administrators(): readonly string[];
  /** Called after every write (drops the token path's read cache on this server). */
  onChange?(): void;
}

export function createApplicationService(deps: ApplicationServiceDeps) {
  const repo = deps.store.applications;
  const changed = () => deps.onChange?.();

  function requireAdmin(caller: DirectoryCaller): void {
    const admins = deps.administrators().map((a) => a.toLowerCase());
    if (!admins.includes(caller.objectId.toLowerCase())) throw insufficientPrivileges();
  }

  function displayNameOf(value: unknown, required: boolean): string | undefined {
    if (value === undefined || value === null) {
      if (required) throw badRequest("Property 'displayName' is required.");
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') throw badRequest("Property 'displayName' must be a non-empty string.");
    if (value.length > MAX_DISPLAY_NAME) throw badRequest(`Property 'displayName' is too long: at most ${MAX_DISPLAY_NAME} characters.`);
    return value;
  }

  async function appOf(caller: DirectoryCaller, id: string): Promise<ApplicationRecord> {
    const app = isGuid(id) ? await repo.get(caller.tenantId, id) : undefined;
    if (!app) throw notFound(id);
    return app;
  }

  async function passwordsOf(app: ApplicationRecord): Promise<PasswordCredential[]> {
    const records = await deps.store.clientSecrets.listByApp(app.tenantId, app.appId);
    return records.map(toPasswordCredential);
  }

  function isProtected(caller: DirectoryCaller, objectId: string): boolean {
    return deps.administrators().some((a) => a.toLowerCase() === objectId.toLowerCase()) || caller.objectId.toLowerCase() === objectId.toLowerCase();
  }

  return {
    passwordsOf,

    async listApplications(caller: DirectoryCaller): Promise<ApplicationRecord[]> {
      return repo.list(caller.tenantId);
    },

    getApplication: appOf,

    async createApplication(caller: DirectoryCaller, body: { displayName?: unknown }): Promise<ApplicationRecord> {
      requireAdmin(caller);
      const app: ApplicationRecord = {
        objectId: deps.ids.newGuid(),
        appId: deps.ids.newGuid(),
        tenantId: caller.tenantId,
        displayName: displayNameOf(body.displayName, true)!,
        createdAt: isoTime(deps.clock.now()),
      };
      await repo.insert(app);
      changed();
      return app;
    },

    async updateApplication(caller: DirectoryCaller, id: string, body: { displayName?: unknown }): Promise<void> {
      requireAdmin(caller);
      const app = await appOf(caller, id);
      const displayName = displayNameOf(body.displayName, false);
      if (displayName === undefined || displayName === app.displayName) return;
      await repo.update({ ...app, displayName });
      changed();
    },

    /** Deletes the application, its service principal and its secrets: none of them signs in again. */
    async deleteApplication(caller: DirectoryCaller, id: string): Promise<void> {
      requireAdmin(caller);
      const app = await appOf(caller, id);
      const principal = await deps.store.principals.getByAppId(app.tenantId, app.appId);
      if (principal && isProtected(caller, principal.objectId)) {
        throw badRequest('The application of a directory administrator (or of the caller itself) cannot be deleted: it would lock the directory.');
      }
      await deps.store.transaction(async (tx) => {
        for (const secret of await tx.clientSecrets.listByApp(app.tenantId, app.appId)) await tx.clientSecrets.delete(app.tenantId, secret.id);
        if (principal) await tx.principals.delete(app.tenantId, principal.objectId);
        await tx.appFederatedCredentials.deleteByApp(app.tenantId, app.objectId);
        await tx.applications.delete(app.tenantId, app.objectId);
      });
      changed();
    },

    async addPassword(caller: DirectoryCaller, id: string, input: NewPassword): Promise<PasswordCredential> {
      requireAdmin(caller);
      const app = await appOf(caller, id);
      const now = deps.clock.now();
      const start = input.startDateTime === undefined ? now : parseDate(input.startDateTime, 'startDateTime');
      const end = input.endDateTime === undefined ? addYears(start, DEFAULT_PASSWORD_YEARS) : parseDate(input.endDateTime, 'endDateTime');
      if (end <= start) throw badRequest('endDateTime must be later than startDateTime.');
      if (end <= now) throw badRequest('endDateTime must be in the future.');
      const displayName = input.displayName === undefined || input.displayName === null ? null : (displayNameOf(input.displayName, false) ?? null);
      const secret = deps.secrets.generate();
      const record: ClientSecretRecord = {
        id: deps.ids.newGuid(),
        tenantId: app.tenantId,
        appId: app.appId,
        hash: deps.secrets.hash(secret),
        hint: secret.slice(0, 3),
        displayName: displayName ?? '',
        createdAt: isoTime(start),
        expiresAt: isoTime(end),
      };
      await deps.store.clientSecrets.insert(record);
      changed();
      return { ...toPasswordCredential(record), secretText: secret };
    },

    async removePassword(caller: DirectoryCaller, id: string, keyId: unknown): Promise<void> {
      requireAdmin(caller);
      if (typeof keyId !== 'string' || !isGuid(keyId)) throw badRequest("Property 'keyId' must be the GUID of one of the application's password credentials.");
      const app = await appOf(caller, id);
      const records = await deps.store.clientSecrets.listByApp(app.tenantId, app.appId);
      if (!records.some((r) => r.id.toLowerCase() === keyId.toLowerCase())) {
        throw new DirectoryError('not-found', 'Request_ResourceNotFound', `No password credential found with keyId '${keyId}'.`);
      }
      await deps.store.clientSecrets.delete(app.tenantId, keyId);
      changed();
    },

    async listServicePrincipals(caller: DirectoryCaller): Promise<ServicePrincipal[]> {
      return repo.listPrincipals(caller.tenantId);
    },

    /** `POST /servicePrincipals {appId}`: the application's service principal, which may then sign in. */
    async createServicePrincipal(caller: DirectoryCaller, body: { appId?: unknown }): Promise<ServicePrincipal> {
      requireAdmin(caller);
      const appId = body.appId;
      if (typeof appId !== 'string' || !isGuid(appId))
        throw badRequest("Property 'appId' must be the application (client) id of an application of this directory.");
      const app = await repo.getByAppId(caller.tenantId, appId);
      // Graph's words, which az matches (' does not reference ').
      if (!app) throw badRequest(`The appId '${appId}' of the service principal does not reference a valid application object.`);
      if (await deps.store.principals.getByAppId(caller.tenantId, appId)) {
        throw new DirectoryError(
          'conflict',
          'Request_MultipleObjectsWithSameKeyValue',
          'The service principal cannot be created, updated, or restored because the service principal name ' + appId + ' is already in use.',
        );
      }
      const principal: ServicePrincipal = {
        objectId: deps.ids.newGuid(),
        appId,
        tenantId: caller.tenantId,
        displayName: app.displayName,
        kind: 'Application',
        resourceId: null,
        createdAt: isoTime(deps.clock.now()),
      };
      await deps.store.principals.insert(principal);
      changed();
      return principal;
    },

    /** Deletes an application's service principal: it signs in no more (its application stays). */
    async deleteServicePrincipal(caller: DirectoryCaller, id: string): Promise<void> {
      requireAdmin(caller);
      const principal = isGuid(id) ? await deps.store.principals.getByObjectId(caller.tenantId, id) : undefined;
      if (!principal) throw notFound(id);
      if (principal.kind === 'ManagedIdentity') {
        throw badRequest('The service principal of a managed identity is deleted with its identity or resource, through Azure Resource Manager.');
      }
      if (isProtected(caller, principal.objectId)) {
        throw badRequest('The service principal of a directory administrator (or the caller itself) cannot be deleted: it would lock the directory.');
      }
      await deps.store.principals.delete(caller.tenantId, principal.objectId);
      changed();
    },
  };
}

export type ApplicationService = ReturnType<typeof createApplicationService>;

export function toPasswordCredential(r: ClientSecretRecord): PasswordCredential {
  return {
    keyId: r.id,
    displayName: r.displayName === '' ? null : r.displayName,
    hint: r.hint,
    startDateTime: r.createdAt,
    endDateTime: r.expiresAt ?? '9999-12-31T23:59:59Z',
  };
}

function parseDate(value: unknown, name: string): number {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw badRequest(`Property '${name}' must be an ISO 8601 date and time, e.g. 2030-01-01T00:00:00Z.`);
  return ms;
}

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}
