/**
 * A minimal Microsoft.AAD/domainServices (Azure AD Domain Services, 2022-12-01): enough for an
 * Enterprise Security Package cluster to name one in `securityProfile.aaddsResourceId` and for RBAC
 * to hold "HDInsight Domain Services Contributor" on it. Keyless runs no domain controllers: the
 * resource keeps `domainName` (required; Azure: at most 39 characters for HDInsight ESP, hdinsight-wire
 * §7.4 V7) and echoes the rest. The create is answered at once (Azure's takes about an hour).
 */
import { DomainError } from '../../core/errors.js';
import type { TrackedTypeSpec } from '../../core/resources/tracked/spec.js';
import type { ProviderDeclaration } from '../kit/declaration.js';
import { regional } from '../kit/declaration.js';
import { trackedProvider, type ProviderDeps } from '../kit/tracked-provider.js';

export const DOMAIN_SERVICES_API_VERSIONS = ['2022-12-01', '2022-09-01', '2021-05-01', '2021-03-01', '2020-01-01', '2017-06-01'] as const;

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;
const DOMAIN = /^(?=.{1,64}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export const DOMAIN_SERVICES_SPEC: TrackedTypeSpec = {
  namespace: 'Microsoft.AAD',
  type: 'domainServices',
  label: 'domain service',
  shape: 'tracked',
  assertName(name) {
    if (!NAME.test(name))
      throw new DomainError('InvalidResourceName', `The domain service name '${name.slice(0, 80)}' is invalid: use letters, digits, dots and hyphens.`);
  },
  properties: {
    readOnly: ['provisioningState', 'deploymentId', 'syncOwner', 'tenantId', 'version', 'migrationProperties'],
    write(properties, { target, existing, ids }) {
      const domainName = properties['domainName'] ?? target.name;
      if (typeof domainName !== 'string' || !DOMAIN.test(domainName)) {
        throw new DomainError(
          'InvalidParameter',
          `The domainName '${String(domainName).slice(0, 80)}' is not a valid DNS domain name (e.g. contoso.onmicrosoft.com).`,
          { target: 'properties.domainName' },
        );
      }
      if (existing && String(existing.properties['domainName']).toLowerCase() !== domainName.toLowerCase()) {
        throw new DomainError('InvalidParameter', 'The domainName of a domain service cannot be changed.', { target: 'properties.domainName' });
      }
      return {
        ...properties,
        domainName,
        deploymentId: existing?.properties['deploymentId'] ?? ids.newGuid(),
        tenantId: target.tenantId,
        syncOwner: existing?.properties['syncOwner'] ?? ids.newGuid(),
        version: 2,
      };
    },
  },
};

export function domainServicesProvider(deps: ProviderDeps): ProviderDeclaration {
  return trackedProvider(deps, {
    namespace: 'Microsoft.AAD',
    registrationPolicy: 'RegistrationRequired',
    resourceTypes: [regional('domainServices', DOMAIN_SERVICES_API_VERSIONS)],
    tracked: [
      {
        spec: DOMAIN_SERVICES_SPEC,
        apiVersions: DOMAIN_SERVICES_API_VERSIONS,
        params: { name: 'domainServiceName' },
        operationIds: {
          createOrUpdate: 'DomainServices_CreateOrUpdate',
          update: 'DomainServices_Update',
          get: 'DomainServices_Get',
          delete: 'DomainServices_Delete',
          list: 'DomainServices_ListByResourceGroup',
          listBySubscription: 'DomainServices_List',
        },
        write: 'sync',
        delete: 'sync',
      },
    ],
  });
}
