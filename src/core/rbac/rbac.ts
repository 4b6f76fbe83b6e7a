/**
 * RBAC as one component: the in-memory index with the built-in roles, the decision service, the
 * role definition and role assignment services, and the sync that keeps the index current.
 * `createRbac` then `start()` at server start; `stop()` at shutdown.
 */
import { createHash } from 'node:crypto';
import { isoTime, type Clock } from '../clock.js';
import { isDomainError } from '../errors.js';
import type { Store } from '../ports.js';
import { subscriptionResourceId } from '../resource-id.js';
import { createAccessService, type AccessService } from './access-service.js';
import { BUILT_IN_ROLES, ROLE_IDS } from './built-in-roles.js';
import { createRbacIndex, type RbacIndex } from './rbac-index.js';
import { createRbacSync, type RbacSync } from './rbac-sync.js';
import { createRoleAssignmentService, type RoleAssignmentService } from './role-assignment-service.js';
import { createRoleDefinitionService, type RoleDefinitionService } from './role-definition-service.js';

export interface Rbac {
  index: RbacIndex;
  access: AccessService;
  assignments: RoleAssignmentService;
  definitions: RoleDefinitionService;
  sync: RbacSync;
  /** Loads the index, then polls the change feed every `pollMs` (default 200). */
  start(options?: { pollMs?: number; onError?: (error: unknown) => void }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Who may grant a role (docs/adr/0005-rbac.md): `azure` — `Microsoft.Authorization/roleAssignments/write`
 * at the scope suffices, as in Azure (an Owner grants Storage Blob Data Owner although it holds no data
 * action); `strict` — the granter must also hold every permission of the role there.
 */
export type GrantRule = 'azure' | 'strict';

export function createRbac(deps: { store: Store; clock: Clock; grantRule?: GrantRule }): Rbac {
  const index = createRbacIndex(BUILT_IN_ROLES);
  const access = createAccessService(index);
  const sync = createRbacSync(deps.store, index);
  return {
    index,
    access,
    sync,
    assignments: createRoleAssignmentService({ store: deps.store, index, access, clock: deps.clock, grantRule: deps.grantRule ?? 'azure' }),
    definitions: createRoleDefinitionService({ store: deps.store, index, access, clock: deps.clock }),
    async start(options = {}) {
      await sync.load();
      sync.start(options.pollMs ?? 200, options.onError ?? (() => undefined));
    },
    stop: () => sync.stop(),
  };
}

/** A GUID derived from `text` (stable across servers, so concurrent starts agree on one name). */
export function derivedGuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Makes sure the bootstrap admin holds Owner on the default subscription (first start, and databases
 * created before RBAC existed). Safe when several servers start at once: they agree on the name and
 * the unique (principal, role, scope) key lets one insert win.
 */
export async function ensureBootstrapOwner(store: Store, clock: Clock, admin: { subscriptionId: string; objectId: string }): Promise<void> {
  const scope = subscriptionResourceId(admin.subscriptionId);
  if (await store.roleAssignments.find(admin.objectId, ROLE_IDS.owner, scope)) return;
  const name = derivedGuid(`keyless-bootstrap-owner\0${admin.subscriptionId.toLowerCase()}\0${admin.objectId.toLowerCase()}`);
  const now = isoTime(clock.now());
  try {
    await store.transaction(async (tx) => {
      await tx.roleAssignments.insert({
        name,
        scope,
        roleDefinitionName: ROLE_IDS.owner,
        principalId: admin.objectId.toLowerCase(),
        principalType: 'ServicePrincipal',
        description: 'Keyless bootstrap administrator',
        createdOn: now,
        updatedOn: now,
        createdBy: null,
        updatedBy: null,
      });
      await tx.rbacChanges.record('assignment', name);
    });
  } catch (e) {
    if (!isDomainError(e) || e.code !== 'Conflict') throw e;
  }
}
