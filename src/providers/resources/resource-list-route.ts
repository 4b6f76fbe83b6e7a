/**
 * `Resources_List`: `GET /subscriptions/{s}/resources`, every top-level resource of a subscription,
 * with the `$filter` forms clients send: `resourceType eq '<ns>/<type>'`, `name eq '<name>'`,
 * `tagName eq '<n>' [and tagValue eq '<v>']`, joined by `and`. `az hdinsight create` (and other az
 * commands) turn a resource NAME into its id this way ("resourceType eq
 * 'Microsoft.Storage/storageAccounts' and name eq 'mystorage'", azure-cli hdinsight util.py
 * `get_resource_id_by_name`; hdinsight-wire §9.2). Names and types compare case-insensitively.
 */
import { DomainError } from '../../core/errors.js';
import type { Store } from '../../core/ports.js';
import { checkPageSize, matchesTagFilter, readFilteredPage, type ListFilter } from '../../core/resources/list-query.js';
import { decodeSkipToken, readTop, toArmList } from '../../http/arm/paging.js';
import { defineRoute, type ArmRoute } from '../../http/arm/route.js';
import { RESOURCES_API_VERSIONS } from './api-versions.js';
import { toGenericResourceWire, type IdentityRulesOf } from './wire.js';

const CLAUSE = /^\s*(resourceType|name|tagName|tagValue)\s+eq\s+'((?:[^']|'')*)'\s*/i;

export function parseResourceFilter(raw: string | undefined): (ListFilter & { name?: string }) | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const filter: ListFilter & { name?: string } = {};
  let rest = raw;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m) {
      throw new DomainError(
        'InvalidParameter',
        `The $filter '${raw.slice(0, 200)}' is not supported. Supported filters: resourceType eq '<namespace>/<type>', name eq '<name>', tagName eq '<name>' [and tagValue eq '<value>'], joined by 'and'.`,
        { target: '$filter' },
      );
    }
    const value = m[2]!.replace(/''/g, "'");
    const field = m[1]!.toLowerCase();
    if (field === 'resourcetype') filter.resourceType = value;
    else if (field === 'name') filter.name = value;
    else if (field === 'tagname') filter.tagName = value;
    else filter.tagValue = value;
    rest = rest.slice(m[0].length);
    if (rest.length === 0) return filter;
    const and = /^and\s+/i.exec(rest);
    if (!and) throw new DomainError('InvalidParameter', `The $filter '${raw.slice(0, 200)}' is not supported: join clauses with 'and'.`, { target: '$filter' });
    rest = rest.slice(and[0].length);
  }
}

export function resourceListRoute(deps: { store: Pick<Store, 'resources'>; identityRulesOf: IdentityRulesOf }): ArmRoute {
  return defineRoute({
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/resources',
    operationId: 'Resources_List',
    action: 'Microsoft.Resources/subscriptions/resources/read',
    apiVersions: RESOURCES_API_VERSIONS,
    handler: async (ctx) => {
      const filter = parseResourceFilter(ctx.query('$filter'));
      const expand = new Set((ctx.query('$expand') ?? '').split(',').map((s) => s.trim().toLowerCase()));
      const name = filter?.name?.toLowerCase();
      const page = await readFilteredPage(
        (p) => deps.store.resources.listBySubscription(ctx.subscription!.id, p, filter?.resourceType),
        (r) => r.type.split('/').length === 2 && (name === undefined || r.name.toLowerCase() === name) && matchesTagFilter(r.tags, filter),
        checkPageSize(readTop(ctx)),
        decodeSkipToken(ctx.query('$skiptoken')),
      );
      return { status: 200, body: toArmList(ctx, page, (r) => toGenericResourceWire(r, expand, deps.identityRulesOf)) };
    },
  });
}
