/**
 * RBAC enforcement for the ARM dispatcher (the `authorize` slot of ArmDeps). Decisions come from the
 * in-memory index, so this adds microseconds, not a database query, to every request.
 */
import type { AccessService } from '../../core/rbac/access-service.js';
import type { ArmAuthorizer } from '../../http/arm/route.js';

const SUBSCRIPTION_READ = 'microsoft.resources/subscriptions/read';

const isList = (operationId: string | undefined, method: string | undefined) => method === 'GET' && /_List/i.test(operationId ?? '');

/**
 * `openActions`: actions every authenticated caller of the tenant may perform, as in Azure (listing
 * its tenants, polling an operation it was handed, reading role definitions and provider operation
 * lists, its own permissions); each provider declares its own (src/providers/kit/declaration.ts).
 */
export function createArmAuthorizer(access: AccessService, openActions: readonly string[]): ArmAuthorizer {
  const OPEN_ACTIONS = new Set(openActions.map((a) => a.toLowerCase()));
  return async ({ caller, action, scope, operationId, method }) => {
    const who = caller.objectId;
    const lower = action.toLowerCase();
    if (OPEN_ACTIONS.has(lower)) return;
    if (lower === SUBSCRIPTION_READ) {
      // Azure shows a subscription to anyone holding a role in it, at any depth.
      if (isList(operationId, method)) return { visible: (id) => access.hasAssignmentAround(who, id) };
      if (access.hasAssignmentAround(who, scope)) return;
      throw access.denied(who, action, scope);
    }
    if (access.can(who, action, scope)) return;
    // A list the caller may not read whole but may read parts of: answer with the parts.
    if (isList(operationId, method) && access.grantsBelow(who, action, scope)) return { visible: (id) => access.can(who, action, id) };
    throw access.denied(who, action, scope);
  };
}
