/** The invariant rules of `keyless check`, one broken store per kind, and a consistent one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findViolations, type InvariantSnapshot } from '../../src/core/invariants/invariants.js';

const S = '00000000-0000-0000-0000-0000000000a1';
const T = '00000000-0000-0000-0000-0000000000b2';
const rg = `/subscriptions/${S}/resourceGroups/rg`;
const vmId = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`;
const uamiId = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami1`;
const aksId = `${rg}/providers/Microsoft.ContainerService/managedClusters/aks1`;
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

function consistent(): InvariantSnapshot {
  return {
    principals: [
      { tenantId: T, objectId: 'p-vm', appId: 'a-vm', kind: 'ManagedIdentity', resourceId: vmId.toUpperCase() },
      { tenantId: T, objectId: 'p-uami', appId: 'a-uami', kind: 'ManagedIdentity', resourceId: uamiId },
      { tenantId: T, objectId: 'p-app', appId: 'a-app', kind: 'Application', resourceId: null },
    ],
    resources: [
      {
        id: vmId,
        subscriptionId: S,
        resourceGroup: 'rg',
        type: 'Microsoft.Compute/virtualMachines',
        identity: { systemAssigned: true, principalId: 'P-VM', userAssignedIdentities: {} },
        properties: {},
      },
      {
        id: uamiId,
        subscriptionId: S,
        resourceGroup: 'RG',
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        identity: null,
        properties: { principalId: 'p-uami' },
      },
      {
        id: aksId,
        subscriptionId: S,
        resourceGroup: 'rg',
        type: 'Microsoft.ContainerService/managedClusters',
        identity: null,
        properties: { nodeResourceGroup: 'MC_rg_aks1_westus2' },
      },
    ],
    resourceGroups: [
      { subscriptionId: S, name: 'rg', managedBy: null },
      { subscriptionId: S, name: 'MC_rg_aks1_westus2', managedBy: aksId },
    ],
    roleAssignments: [
      { name: 'ra1', scope: rg, roleDefinitionName: READER, principalId: 'p-uami' },
      { name: 'ra2', scope: rg, roleDefinitionName: 'custom-1', principalId: 'p-app' },
    ],
    roleDefinitionNames: ['custom-1'],
  };
}

describe('invariants', () => {
  it('a consistent store (ids in any case) has none', () => {
    assert.deepEqual(findViolations(consistent()), []);
  });

  it('finds each kind of half-made object', () => {
    const cases: [string, (s: InvariantSnapshot) => void][] = [
      [
        'resource-without-principal',
        (s) => {
          s.principals.splice(0, 1);
          s.roleAssignments = s.roleAssignments.filter((a) => a.principalId !== 'p-vm');
        },
      ],
      [
        'principal-resource-mismatch',
        (s) => {
          s.principals[0]!.resourceId = uamiId;
          s.principals.push({ tenantId: T, objectId: 'p-x', appId: 'x', kind: 'ManagedIdentity', resourceId: vmId });
          s.resources[0]!.identity = { systemAssigned: true, principalId: 'p-vm' };
        },
      ],
      [
        'identity-without-principal',
        (s) => {
          s.principals.splice(1, 1);
          s.roleAssignments.splice(0, 1);
        },
      ],
      [
        'principal-without-resource',
        (s) => {
          s.resources[0]!.identity = { systemAssigned: false };
        },
      ],
      [
        'resource-without-group',
        (s) => {
          s.resources[1]!.resourceGroup = 'gone';
        },
      ],
      [
        'assignment-to-missing-principal',
        (s) => {
          s.roleAssignments[0]!.principalId = 'nobody';
        },
      ],
      [
        'assignment-to-missing-role',
        (s) => {
          s.roleDefinitionNames = [];
        },
      ],
      [
        'cluster-without-node-group',
        (s) => {
          s.resourceGroups.splice(1, 1);
        },
      ],
      [
        'node-group-without-cluster',
        (s) => {
          s.resources.splice(2, 1);
        },
      ],
    ];
    for (const [kind, breakIt] of cases) {
      const snapshot = consistent();
      breakIt(snapshot);
      const found = findViolations(snapshot).map((v) => v.kind);
      assert.ok(found.includes(kind as never), `${kind}: found ${JSON.stringify(found)}`);
    }
  });
});
