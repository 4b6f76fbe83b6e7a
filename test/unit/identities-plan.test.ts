/**
 * The identity component's decisions, as tables: identity `type` spellings in and out, PUT/PATCH
 * transitions, PATCH `null` detach, and the rules a resource type declares.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/core/errors.js';
import { planIdentity, type IdentityRules, type IdentityWriteMode, type ManagedServiceIdentityRequest } from '../../src/core/identities/identity-plan.js';
import { parseIdentityType, renderIdentityType } from '../../src/core/identities/identity-type.js';
import type { StoredResourceIdentity } from '../../src/core/identities/stored-identity.js';

const SUB = '00000000-0000-0000-0000-000000000001';
const uami = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const A = uami('id-a');
const B = uami('id-b');
const VM_RULES: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, typeSpelling: 'spaced' };
/** HDInsight-like: user-assigned only. */
const USER_ONLY: IdentityRules = { allowSystemAssigned: false, allowUserAssigned: true, typeSpelling: 'compact' };
/** AKS-like: at most one user-assigned identity. */
const ONE_USER: IdentityRules = { allowSystemAssigned: true, allowUserAssigned: true, maxUserAssigned: 1, typeSpelling: 'compact' };
/** AKS: one or the other, never both. */
const AKS_RULES: IdentityRules = { ...ONE_USER, exclusive: true };

const NONE: StoredResourceIdentity = { systemAssigned: false, userAssignedIdentities: {} };
const SYSTEM: StoredResourceIdentity = { systemAssigned: true, principalId: 'p-sys', tenantId: 't', clientId: 'c-sys', userAssignedIdentities: {} };
const SYSTEM_A: StoredResourceIdentity = { ...SYSTEM, userAssignedIdentities: { [A]: { principalId: 'p-a', clientId: 'c-a' } } };
const USER_AB: StoredResourceIdentity = {
  systemAssigned: false,
  userAssignedIdentities: { [A]: { principalId: 'p-a', clientId: 'c-a' }, [B]: { principalId: 'p-b', clientId: 'c-b' } },
};

describe('identity type spellings', () => {
  const table: [input: string, system: boolean, user: boolean][] = [
    ['None', false, false],
    ['none', false, false],
    ['SystemAssigned', true, false],
    ['USERASSIGNED', false, true],
    ['SystemAssigned,UserAssigned', true, true],
    ['SystemAssigned, UserAssigned', true, true],
    ['systemassigned ,  userassigned', true, true],
    ['UserAssigned,SystemAssigned', true, true],
  ];
  for (const [input, systemAssigned, userAssigned] of table) {
    it(`parses '${input}'`, () => assert.deepEqual(parseIdentityType(input, 'compact'), { systemAssigned, userAssigned }));
  }
  for (const bad of ['', 'System', 'None,SystemAssigned', 'SystemAssigned,SystemAssigned', 'SystemAssigned,UserAssigned,None', 42]) {
    it(`refuses ${JSON.stringify(bad)} with the allowed values`, () => {
      assert.throws(
        () => parseIdentityType(bad, 'spaced'),
        (e: unknown) =>
          e instanceof DomainError && e.code === 'InvalidParameter' && e.message.includes("'SystemAssigned, UserAssigned'") && e.target === 'identity.type',
      );
    });
  }
  it('renders the combined type in each spelling', () => {
    assert.equal(renderIdentityType({ systemAssigned: true, userAssigned: true }, 'spaced'), 'SystemAssigned, UserAssigned');
    assert.equal(renderIdentityType({ systemAssigned: true, userAssigned: true }, 'compact'), 'SystemAssigned,UserAssigned');
    assert.equal(renderIdentityType({ systemAssigned: false, userAssigned: false }, 'compact'), 'None');
  });
});

interface Row {
  name: string;
  rules?: IdentityRules;
  current: StoredResourceIdentity;
  request: ManagedServiceIdentityRequest | undefined;
  mode: IdentityWriteMode;
  system: boolean;
  kept: string[];
  attach: string[];
}

describe('identity transitions (PUT replaces, PATCH merges)', () => {
  const rows: Row[] = [
    { name: 'None → SystemAssigned', current: NONE, request: { type: 'SystemAssigned' }, mode: 'replace', system: true, kept: [], attach: [] },
    {
      name: 'System → System+User (PUT)',
      current: SYSTEM,
      request: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [A]: {} } },
      mode: 'replace',
      system: true,
      kept: [],
      attach: [A],
    },
    {
      name: 'System+User → User (PATCH type only keeps the set)',
      current: SYSTEM_A,
      request: { type: 'UserAssigned' },
      mode: 'merge',
      system: false,
      kept: [A],
      attach: [],
    },
    { name: 'User → None', current: USER_AB, request: { type: 'None' }, mode: 'merge', system: false, kept: [], attach: [] },
    {
      name: 'PATCH adds to the set',
      current: SYSTEM_A,
      request: { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [B]: {} } },
      mode: 'merge',
      system: true,
      kept: [A],
      attach: [B],
    },
    {
      name: 'PATCH null detaches one (key in another case)',
      current: USER_AB,
      request: { userAssignedIdentities: { [A.toUpperCase()]: null } },
      mode: 'merge',
      system: false,
      kept: [B],
      attach: [],
    },
    { name: 'PATCH without identity changes nothing', current: SYSTEM_A, request: undefined, mode: 'merge', system: true, kept: [A], attach: [] },
    { name: 'PUT without identity holds none', current: SYSTEM_A, request: undefined, mode: 'replace', system: false, kept: [], attach: [] },
    {
      name: 'PUT with a new set replaces the old one',
      current: USER_AB,
      request: { type: 'UserAssigned', userAssignedIdentities: { [B]: {}, [uami('id-c')]: {} } },
      mode: 'replace',
      system: false,
      kept: [B],
      attach: [uami('id-c')],
    },
    {
      name: 'PUT echoing read-only values keeps what is recorded',
      current: SYSTEM_A,
      request: { type: 'SystemAssigned, UserAssigned', principalId: 'x', userAssignedIdentities: { [A]: { principalId: 'x', clientId: 'y' } } },
      mode: 'replace',
      system: true,
      kept: [A],
      attach: [],
    },
    {
      name: 'user-assigned only type accepts UserAssigned',
      rules: USER_ONLY,
      current: NONE,
      request: { type: 'UserAssigned', userAssignedIdentities: { [A]: {} } },
      mode: 'replace',
      system: false,
      kept: [],
      attach: [A],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const plan = planIdentity(row.rules ?? VM_RULES, row.current, row.request, row.mode);
      assert.equal(plan.systemAssigned, row.system);
      assert.deepEqual(Object.keys(plan.kept).sort(), row.kept.sort());
      assert.deepEqual(plan.attach, row.attach);
      for (const id of row.kept) assert.deepEqual(plan.kept[id], row.current.userAssignedIdentities[id], 'kept identities keep their recorded ids');
    });
  }
});

describe('identity requests refused', () => {
  const refused: [name: string, rules: IdentityRules, current: StoredResourceIdentity, request: unknown, mode: IdentityWriteMode, message: RegExp][] = [
    ['UserAssigned with no identities', VM_RULES, NONE, { type: 'UserAssigned' }, 'replace', /at least one user assigned identity/],
    [
      'identities with type SystemAssigned',
      VM_RULES,
      NONE,
      { type: 'SystemAssigned', userAssignedIdentities: { [A]: {} } },
      'replace',
      /only be given when 'identity.type' includes 'UserAssigned'/,
    ],
    [
      'PATCH detaching the last one while asking for UserAssigned',
      VM_RULES,
      USER_AB,
      { type: 'UserAssigned', userAssignedIdentities: { [A]: null, [B]: null } },
      'merge',
      /at least one/,
    ],
    [
      'a key that is not a user-assigned identity id',
      VM_RULES,
      NONE,
      { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm': {} } },
      'replace',
      /not a valid user assigned identity resource id/,
    ],
    ['a value that is not an object', VM_RULES, NONE, { type: 'UserAssigned', userAssignedIdentities: { [A]: 'yes' } }, 'replace', /must be an object/],
    ['userAssignedIdentities as an array', VM_RULES, NONE, { type: 'UserAssigned', userAssignedIdentities: [A] }, 'replace', /must be an object/],
    ['PUT identity without type', VM_RULES, NONE, { userAssignedIdentities: { [A]: {} } }, 'replace', /'identity.type' is required/],
    ['system-assigned on a user-assigned-only type', USER_ONLY, NONE, { type: 'SystemAssigned' }, 'replace', /does not support a system assigned identity/],
    [
      'system-assigned kept by PATCH on a user-assigned-only type',
      USER_ONLY,
      NONE,
      { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [A]: {} } },
      'merge',
      /does not support a system assigned/,
    ],
    [
      'two identities where one is allowed',
      ONE_USER,
      NONE,
      { type: 'UserAssigned', userAssignedIdentities: { [A]: {}, [B]: {} } },
      'replace',
      /at most 1 user assigned identity; 2 were given/,
    ],
    [
      'both kinds at once where they are exclusive (AKS)',
      AKS_RULES,
      NONE,
      { type: 'SystemAssigned,UserAssigned', userAssignedIdentities: { [A]: {} } },
      'replace',
      /either 'SystemAssigned' or 'UserAssigned'/,
    ],
    [
      'PATCH adding a user-assigned identity to a system-assigned one where exclusive',
      AKS_RULES,
      SYSTEM,
      { userAssignedIdentities: { [A]: {} } },
      'merge',
      /either 'SystemAssigned' or 'UserAssigned'/,
    ],
    [
      'PATCH adding a second where one is allowed',
      ONE_USER,
      { systemAssigned: false, userAssignedIdentities: { [A]: { principalId: 'p', clientId: 'c' } } },
      { userAssignedIdentities: { [B]: {} } },
      'merge',
      /at most 1/,
    ],
  ];
  for (const [name, rules, current, request, mode, message] of refused) {
    it(name, () => {
      assert.throws(
        () => planIdentity(rules, current, request as ManagedServiceIdentityRequest, mode),
        (e: unknown) => e instanceof DomainError && e.code === 'InvalidParameter' && message.test(e.message),
      );
    });
  }
});
