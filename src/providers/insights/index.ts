/**
 * Microsoft.Insights, as far as Keyless serves it: the Activity Log of a subscription
 * (`activityLogs_API.json` 2015-04-01, ActivityLogs_List), what `az monitor activity-log list` and
 * `@azure/arm-monitor`'s `activityLogs.list` read. Events are written by the ARM surface for every
 * control-plane write and every denied request (src/core/activity/, docs/adr/0016-activity-log.md).
 *
 * RBAC: `Microsoft.Insights/eventtypes/values/read` at the subscription (Reader's `*\/read` has it);
 * the events shown are those of the subscription in the path.
 */
import type { ActivityLog } from '../../core/activity/activity-log.js';
import { ActivityQueryError, parseActivityFilter, parseActivitySelect, selectProperties } from '../../core/activity/activity-filter.js';
import { ArmError } from '../../http/arm/arm-error.js';
import { decodeSkipToken, encodeSkipToken } from '../../http/arm/paging.js';
import { defineRoute, type ArmContext } from '../../http/arm/route.js';
import { global, type ProviderDeclaration } from '../kit/declaration.js';
import type { ProviderDeps } from '../kit/tracked-provider.js';

/** The only api-version of the Activity Log's list (az 2.45's monitor profile and the SDKs send it). */
export const ACTIVITY_LOG_API_VERSIONS = ['2015-04-01'] as const;

/** Events per page: Azure pages the Activity Log by about 200. */
export const ACTIVITY_PAGE_SIZE = 200;

const VALUES = '/subscriptions/{subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values';

export function insightsProvider(deps: ProviderDeps): ProviderDeclaration {
  // Without the buffered activity log (some tests), the list reads the store directly.
  const log: Pick<ActivityLog, 'listEvents'> = deps.activityLog ?? { listEvents: (query, page) => deps.store.activityEvents.list(query, page) };
  return {
    namespace: 'Microsoft.Insights',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [global('eventtypes', ACTIVITY_LOG_API_VERSIONS)],
    routes: [
      defineRoute({
        method: 'GET',
        path: VALUES,
        operationId: 'ActivityLogs_List',
        action: 'Microsoft.Insights/eventtypes/values/read',
        apiVersions: ACTIVITY_LOG_API_VERSIONS,
        handler: async (ctx) => {
          const subscriptionId = ctx.subscription!.id;
          const { query, select } = readQuery(ctx, subscriptionId, deps.clock.now());
          const page = await log.listEvents(query, { limit: ACTIVITY_PAGE_SIZE, ...afterOf(ctx) });
          const body: { value: unknown[]; nextLink?: string } = { value: page.items.map((e) => selectProperties(e.body, select)) };
          if (page.next !== undefined) body.nextLink = nextLink(ctx, page.next);
          return { status: 200, body };
        },
      }),
    ],
    operations: {
      provider: 'Microsoft Monitoring Insights',
      display: {
        'Microsoft.Insights/eventtypes/values/read': {
          resource: 'Events',
          operation: 'Read management event type values',
          description: 'Read management event type values (the Activity Log)',
        },
      },
    },
  };
}

/** `$filter` and `$select`, refused with ARM's 400 envelope and the parser's explanation. */
function readQuery(ctx: ArmContext<unknown>, subscriptionId: string, now: number) {
  try {
    return { query: parseActivityFilter(ctx.query('$filter'), subscriptionId, now), select: parseActivitySelect(ctx.query('$select')) };
  } catch (error) {
    if (error instanceof ActivityQueryError) throw new ArmError(400, 'BadRequest', error.message);
    throw error;
  }
}

function afterOf(ctx: ArmContext<unknown>): { after?: string } {
  const token = ctx.query('$skiptoken');
  const after = decodeSkipToken(token === undefined || token === '' ? undefined : token);
  return after === undefined ? {} : { after };
}

/** The next page's URL: the same query plus a `$skiptoken`; clients follow it as is (no api-version added). */
function nextLink(ctx: ArmContext<unknown>, cursor: string): string {
  const url = new URL(ctx.baseUrl + ctx.path);
  url.searchParams.set('api-version', ctx.apiVersion);
  for (const name of ['$filter', '$select']) {
    const value = ctx.query(name);
    if (value !== undefined) url.searchParams.set(name, value);
  }
  url.searchParams.set('$skiptoken', encodeSkipToken(cursor));
  return url.toString();
}
