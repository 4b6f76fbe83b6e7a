/**
 * Federated identity credentials of app registrations (Microsoft Graph
 * `applications/{id}/federatedIdentityCredentials`, v1.0): list, create, get and update by id or by
 * name, delete. The rules are the shared ones (src/core/workload-identity/federated-credentials.ts):
 * https issuer, exactly one audience, 20 per application, issuer + subject unique, Graph's name rule.
 * Who may write: the directory administrators (docs/adr/0006-directory-permissions.md); every
 * principal of the tenant may read. Writes under one application are serialised on its row (the
 * application is rewritten first in the transaction), so the limit and uniqueness hold under
 * concurrency on PostgreSQL as on SQLite. Stored in `app_federated_credentials` (migration 10).
 */
import { isoTime, type Clock } from '../clock.js';
import { isGuid, type IdGenerator } from '../ids.js';
import type { Repositories, Store } from '../ports.js';
import {
  checkAmongSiblings,
  checkFederatedCredentialName,
  readFederatedCredential,
  type FederatedCredential,
  type Invalid,
} from '../workload-identity/federated-credentials.js';
import { DirectoryError, insufficientPrivileges, type ApplicationRecord, type DirectoryCaller } from './applications.js';

/** A stored credential of an application. */
export interface AppFederatedCredentialRecord extends FederatedCredential {
  /** Graph `id` (a GUID). */
  id: string;
  tenantId: string;
  /** The application's object id. */
  appObjectId: string;
  description: string | null;
  createdAt: string;
}

export interface AppFederatedCredentialRepository {
  listByApp(tenantId: string, appObjectId: string): Promise<AppFederatedCredentialRecord[]>;
  /** Throws a `Conflict` DomainError when the id or the name (case-insensitive) is taken. */
  insert(record: AppFederatedCredentialRecord): Promise<void>;
  update(record: AppFederatedCredentialRecord): Promise<boolean>;
  delete(tenantId: string, appObjectId: string, id: string): Promise<boolean>;
  deleteByApp(tenantId: string, appObjectId: string): Promise<number>;
}

const badRequest: Invalid = (message) => new DirectoryError('invalid', 'Request_BadRequest', message);
const MAX_DESCRIPTION = 600;

export interface AppFederatedCredentialServiceDeps {
  store: Store;
  ids: IdGenerator;
  clock: Clock;
  administrators(): readonly string[];
  onChange?(): void;
}

export function createAppFederatedCredentialService(deps: AppFederatedCredentialServiceDeps) {
  function requireAdmin(caller: DirectoryCaller): void {
    if (!deps.administrators().some((a) => a.toLowerCase() === caller.objectId.toLowerCase())) throw insufficientPrivileges();
  }

  async function appOf(tx: Pick<Repositories, 'applications'>, caller: DirectoryCaller, id: string): Promise<ApplicationRecord> {
    const app = isGuid(id) ? await tx.applications.get(caller.tenantId, id) : undefined;
    if (!app)
      throw new DirectoryError(
        'not-found',
        'Request_ResourceNotFound',
        `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return app;
  }

  function find(records: readonly AppFederatedCredentialRecord[], idOrName: string): AppFederatedCredentialRecord {
    const found = records.find((r) => r.id.toLowerCase() === idOrName.toLowerCase()) ?? records.find((r) => r.name.toLowerCase() === idOrName.toLowerCase());
    if (!found)
      throw new DirectoryError(
        'not-found',
        'Request_ResourceNotFound',
        `Resource '${idOrName.slice(0, 130)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return found;
  }

  function description(value: unknown): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || value.length > MAX_DESCRIPTION)
      throw badRequest(`'description' must be a string of at most ${MAX_DESCRIPTION} characters.`);
    return value;
  }

  /** Runs a write under the application's row lock (see the header). */
  function write<T>(
    caller: DirectoryCaller,
    appId: string,
    work: (tx: Repositories, app: ApplicationRecord, others: AppFederatedCredentialRecord[]) => Promise<T>,
  ): Promise<T> {
    requireAdmin(caller);
    return deps.store
      .transaction(async (tx) => {
        const app = await appOf(tx, caller, appId);
        await tx.applications.update(app);
        return work(tx, app, await tx.appFederatedCredentials.listByApp(app.tenantId, app.objectId));
      })
      .finally(() => deps.onChange?.());
  }

  return {
    async list(caller: DirectoryCaller, appId: string): Promise<AppFederatedCredentialRecord[]> {
      const app = await appOf(deps.store, caller, appId);
      return deps.store.appFederatedCredentials.listByApp(app.tenantId, app.objectId);
    },

    async get(caller: DirectoryCaller, appId: string, idOrName: string): Promise<AppFederatedCredentialRecord> {
      const app = await appOf(deps.store, caller, appId);
      return find(await deps.store.appFederatedCredentials.listByApp(app.tenantId, app.objectId), idOrName);
    },

    create(caller: DirectoryCaller, appId: string, body: Record<string, unknown>): Promise<AppFederatedCredentialRecord> {
      if (typeof body.name !== 'string') throw badRequest("Property 'name' is required: 3 to 120 letters, numbers, hyphens and underscores.");
      const name = body.name;
      checkFederatedCredentialName(name, badRequest);
      const fields = readFederatedCredential(body, badRequest);
      const text = description(body.description);
      return write(caller, appId, async (tx, app, others) => {
        if (others.some((o) => o.name.toLowerCase() === name.toLowerCase()))
          throw badRequest(`A federated identity credential named '${name}' already exists on this application.`);
        checkAmongSiblings({ name, ...fields }, others, badRequest, 'application');
        const record: AppFederatedCredentialRecord = {
          id: deps.ids.newGuid(),
          tenantId: app.tenantId,
          appObjectId: app.objectId,
          name,
          ...fields,
          description: text,
          createdAt: isoTime(deps.clock.now()),
        };
        await tx.appFederatedCredentials.insert(record);
        return record;
      });
    },

    /** PATCH: `issuer`, `subject`, `audiences`, `description` may change; `name` may not (Graph: immutable). */
    update(caller: DirectoryCaller, appId: string, idOrName: string, body: Record<string, unknown>): Promise<void> {
      return write(caller, appId, async (tx, _app, all) => {
        const current = find(all, idOrName);
        if (body.name !== undefined && body.name !== current.name)
          throw badRequest("Property 'name' cannot be changed: it is immutable once the credential is created.");
        const merged = { issuer: body.issuer ?? current.issuer, subject: body.subject ?? current.subject, audiences: body.audiences ?? current.audiences };
        const fields = readFederatedCredential(merged, badRequest);
        const others = all.filter((o) => o.id !== current.id);
        checkAmongSiblings({ name: current.name, ...fields }, others, badRequest, 'application');
        const text = body.description === undefined ? current.description : description(body.description);
        await tx.appFederatedCredentials.update({ ...current, ...fields, description: text });
      });
    },

    delete(caller: DirectoryCaller, appId: string, idOrName: string): Promise<void> {
      return write(caller, appId, async (tx, app, all) => {
        const current = find(all, idOrName);
        await tx.appFederatedCredentials.delete(app.tenantId, app.objectId, current.id);
      });
    },

    /** The token path's read: an application's credentials by its app (client) id. */
    async listForApp(tenantId: string, appId: string): Promise<FederatedCredential[]> {
      const app = await deps.store.applications.getByAppId(tenantId, appId);
      return app ? deps.store.appFederatedCredentials.listByApp(tenantId, app.objectId) : [];
    },
  };
}

export type AppFederatedCredentialService = ReturnType<typeof createAppFederatedCredentialService>;

/** Graph's `federatedIdentityCredential` resource. */
export function federatedCredentialBody(r: AppFederatedCredentialRecord): Record<string, unknown> {
  return { id: r.id, name: r.name, issuer: r.issuer, subject: r.subject, description: r.description, audiences: r.audiences };
}
