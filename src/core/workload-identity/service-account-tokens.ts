/**
 * Projected service-account tokens of pods on emulated AKS nodes (issue 14 item 5): a host agent of an
 * agent pool asks for a token of `<namespace>/<name>`, and the server signs it with the cluster's OIDC
 * issuer key, as kubelet's TokenRequest makes kube-apiserver do: `iss` = the cluster's issuer URL,
 * `sub` = `system:serviceaccount:<namespace>:<name>`, `aud` = [audience] (default
 * `api://AzureADTokenExchange`, what the workload identity webhook asks for), one hour, and the
 * `kubernetes.io` claims (namespace, service account, node). Only a node of the cluster asks, so one
 * cluster's nodes can never obtain another cluster's tokens.
 */
import { createHash } from 'node:crypto';
import { HostError } from '../hosts/host-errors.js';
import type { IdGenerator } from '../ids.js';
import type { ResourceRecord } from '../model.js';
import type { ResourceRepository } from '../ports.js';
import type { ClusterIssuers } from './cluster-issuers.js';
import { TOKEN_EXCHANGE_AUDIENCE } from './federated-credentials.js';

export const SERVICE_ACCOUNT_TOKEN_SECONDS = 3600;
const AGENT_POOL_TYPE = 'microsoft.containerservice/managedclusters/agentpools';
/** Kubernetes names: DNS-1123 labels (namespaces, and service-account names in practice). */
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ServiceAccountTokenRequest {
  namespace: string;
  name: string;
  audience?: string;
}

export interface ServiceAccountToken {
  token: string;
  expiresOn: number;
  issuer: string;
  tenantId: string;
}

/** A stable uid for a name (Kubernetes uids are random; these only need to be stable per cluster). */
function uidOf(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000').toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createServiceAccountTokens(deps: {
  resources: Pick<ResourceRepository, 'get'>;
  issuers: Pick<ClusterIssuers, 'sign'>;
  clock: { now(): number };
  ids: IdGenerator;
}) {
  return {
    /** Throws HostError `InvalidRequest` (bad names, not a node, no issuer). */
    async issue(host: ResourceRecord, request: ServiceAccountTokenRequest): Promise<ServiceAccountToken> {
      const { namespace, name } = request;
      if (!LABEL.test(namespace) || !LABEL.test(name)) {
        throw new HostError(
          'InvalidRequest',
          `A service account is '<namespace>/<name>' with Kubernetes names (lower-case letters, digits and '-', at most 63 characters), got '${String(namespace).slice(0, 70)}/${String(name).slice(0, 70)}'.`,
        );
      }
      const audience = request.audience ?? TOKEN_EXCHANGE_AUDIENCE;
      if (typeof audience !== 'string' || audience === '' || audience.length > 600)
        throw new HostError('InvalidRequest', "'audience' must be a non-empty string of at most 600 characters.");
      if (host.type.toLowerCase() !== AGENT_POOL_TYPE) {
        throw new HostError('InvalidRequest', `Service-account tokens are for nodes of AKS clusters: '${host.id}' is not an agent pool.`);
      }
      const cluster = await deps.resources.get(host.id.replace(/\/agentPools\/[^/]+$/i, ''));
      const profile = cluster?.properties['oidcIssuerProfile'] as { enabled?: unknown; issuerURL?: unknown } | undefined;
      if (!cluster || profile?.enabled !== true || typeof profile.issuerURL !== 'string') {
        throw new HostError(
          'InvalidRequest',
          'The cluster of this node has no OIDC issuer: enable it (az aks update --enable-oidc-issuer) so that its service-account tokens can be federated.',
        );
      }
      const now = Math.floor(deps.clock.now() / 1000);
      const exp = now + SERVICE_ACCOUNT_TOKEN_SECONDS;
      const nodeName = `aks-${host.name}-${uidOf(cluster.id, host.name).slice(0, 8)}-vmss000000`;
      const claims = {
        aud: [audience],
        exp,
        iat: now,
        nbf: now,
        iss: profile.issuerURL,
        jti: deps.ids.newGuid(),
        'kubernetes.io': {
          namespace,
          node: { name: nodeName, uid: uidOf(cluster.id, 'node', nodeName) },
          serviceaccount: { name, uid: uidOf(cluster.id, 'serviceaccount', namespace, name) },
        },
        sub: `system:serviceaccount:${namespace}:${name}`,
      };
      const tenantId = /\/oidc\/([0-9a-f-]{36})\//i.exec(profile.issuerURL)?.[1] ?? '';
      return { token: await deps.issuers.sign(profile.issuerURL, claims), expiresOn: exp, issuer: profile.issuerURL, tenantId };
    },
  };
}

export type ServiceAccountTokens = ReturnType<typeof createServiceAccountTokens>;
