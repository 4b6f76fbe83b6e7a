/**
 * Where each built-in role definition in built-in-roles.ts comes from, with the reference's status
 * key (shared/reference/azure-wire-contracts.md §4.5): `doc` Microsoft's built-in roles page, `obs`
 * seen in real-world samples, `mem` written from memory and NOT re-confirmed. A `mem` role's GUID or
 * permissions may differ from Azure's: check it against
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles before relying on it, then
 * change its mark. test/unit/rbac-role-sources.test.ts lists the `mem` ones on every run, and fails
 * when a role has no mark at all.
 */
export type FactSource = 'doc' | 'obs' | 'mem';

export const BUILT_IN_ROLE_SOURCES: Readonly<Record<string, { source: FactSource; note?: string }>> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': { source: 'doc' }, // Owner
  'b24988ac-6180-42a0-ab88-20f7382dd24c': { source: 'doc' }, // Contributor
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': { source: 'obs' }, // Reader
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': { source: 'doc' }, // User Access Administrator
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': { source: 'doc' }, // Role Based Access Control Administrator
  'f1a07417-d97a-45cb-824c-7a7467783830': { source: 'doc' }, // Managed Identity Operator
  'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59': { source: 'doc' }, // Managed Identity Contributor
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // Storage Blob Data Reader
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': { source: 'doc', note: '`blobs/add/action` from memory of recent docs' }, // Storage Blob Data Contributor
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // Storage Blob Data Owner
  '8d8d5a11-05d3-4bda-a417-a08778121c7c': { source: 'doc', note: 'shared/reference/hdinsight-wire.md §8 (MicrosoftDocs built-in-roles.md)' }, // HDInsight Domain Services Contributor
  '4633458b-17de-408a-b874-0445c86b69e6': { source: 'doc' }, // Key Vault Secrets User
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // Key Vault Secrets Officer
  '21090545-7ca7-4776-b22c-e363652d74d2': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // Key Vault Reader
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // Key Vault Administrator
  '14b46e9e-c2b7-41b4-b07b-48a6ebf60603': { source: 'mem' }, // Key Vault Crypto Officer
  'e147488a-f6f5-4113-8e2d-b22465e65bf6': { source: 'mem' }, // Key Vault Crypto Service Encryption User
  '12338af0-0e69-4776-bea7-57ae8d297424': { source: 'mem' }, // Key Vault Crypto User
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // AcrPull
  '8311e382-0749-4cb8-b61a-304f252e45ec': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // AcrPush
  '3913510d-42f4-4e42-8a64-420c390055eb': { source: 'doc' }, // Monitoring Metrics Publisher
  'befefa01-2a29-4197-83a8-272ff33ce314': { source: 'mem' }, // DNS Zone Contributor
  'b12aa53e-6015-4669-85d0-8515ebb3ae7f': { source: 'doc' }, // Private DNS Zone Contributor
  '4d97b98b-1d4f-4787-a291-c67834d212e7': { source: 'mem', note: 'GUID seen in samples; permissions from memory' }, // Network Contributor
};
