/**
 * az's account objects (`az account show` / `list` / `login`) built from the profile, and the
 * subscription list read from ARM at sign-in.
 */
import type { SubscriptionWire } from '../../contract/arm.js';
import { API_VERSIONS } from '../framework/api-versions.js';
import { ServiceError } from '../framework/errors.js';
import type { Profile, ProfileSubscription } from '../framework/profile.js';
import { getToken } from '../framework/tokens.js';
import { send, useCa } from '../framework/transport.js';

/** The environment name az shows; Keyless is its own cloud, as a cloud registered with `az cloud register`. */
export const ENVIRONMENT_NAME = 'Keyless';

/** az's account entry; `login` and `account list` name the cloud `cloudName`, `account show` `environmentName`. */
export function toAccount(profile: Profile, s: ProfileSubscription, cloudKey: 'cloudName' | 'environmentName'): Record<string, unknown> {
  return {
    [cloudKey]: ENVIRONMENT_NAME,
    homeTenantId: s.tenantId,
    id: s.id,
    isDefault: s.isDefault,
    managedByTenants: [],
    name: s.name,
    state: s.state,
    tenantId: s.tenantId,
    user: { name: profile.credential.clientId, type: 'servicePrincipal' },
  };
}

/** The subscriptions the principal sees (`GET /subscriptions`), keeping the previous default if still there. */
export async function fetchSubscriptions(profile: Profile, previous?: Profile): Promise<ProfileSubscription[]> {
  useCa(profile.server.caFile);
  const token = await getToken(profile);
  const url = new URL(`/subscriptions?api-version=${API_VERSIONS.subscriptions}`, profile.server.armEndpoint);
  const found: SubscriptionWire[] = [];
  for (let next: URL | undefined = url; next;) {
    const res = await send({ method: 'GET', url: next, headers: { authorization: `Bearer ${token.accessToken}` } });
    const body = res.json as { value?: SubscriptionWire[]; nextLink?: string; error?: { code: string; message: string } } | undefined;
    if (res.status !== 200) throw new ServiceError(body?.error?.code ?? `HTTP${res.status}`, body?.error?.message ?? res.text, res.status);
    found.push(...(body?.value ?? []));
    next = body?.nextLink ? new URL(body.nextLink) : undefined;
  }
  const keep = previous?.subscriptions.find((s) => s.isDefault)?.id;
  const defaultId = found.some((s) => s.subscriptionId === keep) ? keep : found[0]?.subscriptionId;
  return found.map((s) => ({ id: s.subscriptionId, name: s.displayName, state: s.state, tenantId: s.tenantId, isDefault: s.subscriptionId === defaultId }));
}
