/**
 * `GET /providers/{namespace}/operations` (every provider's `Operations_List`), generated from what
 * the provider routes: one entry per distinct RBAC action its routes check, plus actions it checks
 * elsewhere, with the display text it declares. Any authenticated caller may read it, as in Azure.
 */
import { defineRoute, type ArmRoute } from '../../http/arm/route.js';
import type { ProviderDeclaration } from './declaration.js';

export interface OperationWire {
  name: string;
  display: { provider: string; resource: string; operation: string; description: string };
  origin?: string;
}

/** The action of a namespace's operations list. */
export const operationsReadAction = (namespace: string) => `${namespace}/operations/read`;

/** The entries of the list, in action order; the list route itself included. */
export function listOperations(declaration: Pick<ProviderDeclaration, 'namespace' | 'routes' | 'operations'>): OperationWire[] {
  const providerName = declaration.operations?.provider ?? declaration.namespace;
  const display = declaration.operations?.display ?? {};
  const byLower = new Map(Object.entries(display).map(([action, d]) => [action.toLowerCase(), { action, d }]));
  const actions = new Map<string, string>();
  const add = (action: string) => {
    if (!action.toLowerCase().startsWith(`${declaration.namespace.toLowerCase()}/`)) return;
    if (!actions.has(action.toLowerCase())) actions.set(action.toLowerCase(), byLower.get(action.toLowerCase())?.action ?? action);
  };
  add(operationsReadAction(declaration.namespace));
  for (const route of declaration.routes) add(route.action);
  for (const action of declaration.operations?.extraActions ?? []) add(action);
  return [...actions.values()]
    .sort((a, b) => a.localeCompare(b))
    .map((action) => {
      const d = byLower.get(action.toLowerCase())?.d;
      const [, ...rest] = action.split('/');
      return {
        name: action,
        display: {
          provider: providerName,
          resource: d?.resource ?? rest.slice(0, -1).join('/'),
          operation: d?.operation ?? rest.at(-1)!,
          description: d?.description ?? `${rest.at(-1)} on ${rest.slice(0, -1).join('/')}.`,
        },
      };
    });
}

/** The operations route of a declaration (added by `declareProvider`). */
export function operationsRoute(declaration: Pick<ProviderDeclaration, 'namespace' | 'routes' | 'operations'>, apiVersions: readonly string[]): ArmRoute {
  return defineRoute({
    method: 'GET',
    path: `/providers/${declaration.namespace}/operations`,
    operationId: 'Operations_List',
    action: operationsReadAction(declaration.namespace),
    apiVersions,
    handler: async () => ({ status: 200, body: { value: listOperations(declaration) } }),
  });
}
