/** Kubernetes versions as the AKS RP resolves them (`1.32` → `1.32.7`) against the versions Keyless offers. */
import { DomainError } from '../../../core/errors.js';
import { KUBERNETES_VERSIONS } from '../api-versions.js';

/** A version as the RP resolves it: `1.32` → `1.32.7`; "" → the default; anything else refused. */
export function resolveKubernetesVersion(requested: unknown, current: string | undefined): { version: string; patch: string } {
  if (requested === undefined || requested === null || requested === '') {
    if (current) return { version: current, patch: patchOf(current) ?? current };
    return { version: KUBERNETES_VERSIONS[0]!.patch, patch: KUBERNETES_VERSIONS[0]!.patch };
  }
  const patch = typeof requested === 'string' ? patchOf(requested) : undefined;
  if (!patch) {
    throw new DomainError(
      'BadRequest',
      `Version ${String(requested)} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. Supported: ${KUBERNETES_VERSIONS.map((v) => v.patch).join(', ')}.`,
      { target: 'properties.kubernetesVersion' },
    );
  }
  return { version: requested as string, patch };
}

function patchOf(version: string): string | undefined {
  const known = KUBERNETES_VERSIONS.find((v) => v.minor === version || v.patch === version);
  return known?.patch;
}
