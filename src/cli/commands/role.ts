/** `keyless role …`: az's Azure RBAC group with its `assignment` and `definition` sub-groups. */
import type { Command } from 'commander';
import { defineGroup } from '../framework/command.js';
import { registerAssignments } from './role-assignment.js';
import { registerDefinitions } from './role-definition.js';

/** Adds `keyless role assignment …` and `keyless role definition …`. */
export function register(program: Command): void {
  const role = defineGroup(program, 'role', 'Manage Azure role-based access control (Azure RBAC).');
  const sub = (name: string, summary: string) => defineGroup(role, name, summary);
  registerAssignments(sub);
  registerDefinitions(sub);
}
