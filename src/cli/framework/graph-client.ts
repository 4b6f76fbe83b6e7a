/**
 * Directory reads through the server's Microsoft Graph surface (`<server>/v1.0/…`), as az makes them
 * against graph.microsoft.com: a token for Graph's audience from the token cache, then
 * `directoryObjects/getByIds` to name principals and `servicePrincipals?$filter=…` to find one.
 */
import { toServiceError } from './arm-client.js';
import type { Profile } from './profile.js';
import { getToken } from './tokens.js';
import { send, useCa } from './transport.js';

/** Microsoft Graph's audience: what az asks for before calling Graph. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com/';

/** The parts of Graph's `directoryObject` / `servicePrincipal` the CLI reads. */
export interface GraphObject {
  '@odata.type'?: string;
  id: string;
  appId?: string;
  displayName?: string;
  userPrincipalName?: string;
  servicePrincipalNames?: string[];
}

/** Graph's limit on ids per `getByIds` call (az sends chunks of this size). */
const IDS_PER_CALL = 1000;

export class GraphClient {
  constructor(private readonly profile: Profile) {
    useCa(profile.server.caFile);
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const token = await getToken(this.profile, GRAPH_RESOURCE);
    const url = new URL(`/v1.0/${path}`, this.profile.server.armEndpoint);
    const headers: Record<string, string> = { authorization: `Bearer ${token.accessToken}` };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await send({ method, url, headers, ...(payload === undefined ? {} : { body: payload }) });
    // Graph's error body has ARM's `{"error":{"code","message"}}` shape.
    if (res.status >= 400) throw toServiceError(res);
    return res.json;
  }

  /** az's `_get_object_stubs`: the directory objects among `ids` (unknown ids are absent). */
  async getByIds(ids: readonly string[]): Promise<GraphObject[]> {
    const found: GraphObject[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const page = (await this.call('POST', 'directoryObjects/getByIds', {
        ids: ids.slice(i, i + IDS_PER_CALL),
        types: ['user', 'group', 'servicePrincipal', 'directoryObjectPartnerReference'],
      })) as { value?: GraphObject[] } | undefined;
      found.push(...(page?.value ?? []));
    }
    return found;
  }

  /** Service principals matching an OData `$filter` (e.g. `servicePrincipalNames/any(c:c eq '…')`). */
  async servicePrincipals(filter: string): Promise<GraphObject[]> {
    const page = (await this.call('GET', `servicePrincipals?$filter=${encodeURIComponent(filter)}`)) as { value?: GraphObject[] } | undefined;
    return page?.value ?? [];
  }
}

/** az's `_get_displayable_name`: a user's UPN, a service principal's first SPN (its appId), else the display name. */
export function displayableName(o: GraphObject): string {
  if (o.userPrincipalName) return o.userPrincipalName;
  if (o.servicePrincipalNames?.length) return o.servicePrincipalNames[0]!;
  return o.displayName ?? '';
}

/** The `principalType` of a role assignment for a Graph object (`#microsoft.graph.servicePrincipal` → `ServicePrincipal`). */
export function principalTypeOf(o: GraphObject): string | undefined {
  const type = /^#microsoft\.graph\.(\w+)$/i.exec(o['@odata.type'] ?? '')?.[1];
  return type ? type[0]!.toUpperCase() + type.slice(1) : undefined;
}
