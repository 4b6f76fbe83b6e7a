/**
 * A workload on a VM calling ARM with its own managed identity: ManagedIdentityCredential (through the
 * agent named by AZURE_POD_IDENTITY_AUTHORITY_HOST) and @azure/arm-resources, both unmodified.
 * Usage: node --import tsx arm-as-managed-identity.ts <armEndpoint> <subscriptionId> <resourceGroup>
 * Prints one JSON line: {ok:true,name} or {ok:false,statusCode,code,message}.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { ResourceManagementClient } from '@azure/arm-resources';

const [endpoint, subscriptionId, group] = process.argv.slice(2) as [string, string, string];
const client = new ResourceManagementClient(new ManagedIdentityCredential(), subscriptionId, { endpoint });
try {
  const rg = await client.resourceGroups.get(group);
  console.log(JSON.stringify({ ok: true, name: rg.name }));
} catch (e) {
  const err = e as { statusCode?: number; code?: string; message?: string };
  console.log(JSON.stringify({ ok: false, statusCode: err.statusCode, code: err.code, message: err.message }));
}
