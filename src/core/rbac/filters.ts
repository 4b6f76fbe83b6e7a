/**
 * The `$filter` forms of Microsoft.Authorization 2022-04-01. Role assignments: `atScope()`,
 * `principalId eq '{id}'`, `assignedTo('{id}')`, joined by `and` (arm-authorization sends
 * `atScope() and assignedTo('<id>')`, percent-encoded). Role definitions: `roleName eq '{name}'`,
 * `type eq 'BuiltInRole'|'CustomRole'`, `atScopeAndBelow()`. Anything else is a 400 that names the forms.
 */
import { DomainError } from '../errors.js';
import { isGuid } from '../ids.js';

export interface AssignmentFilter {
  atScope: boolean;
  principalId?: string;
}

export interface DefinitionFilter {
  roleName?: string;
  type?: 'BuiltInRole' | 'CustomRole';
  atScopeAndBelow: boolean;
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Splits on ` and ` outside quotes. */
function clauses(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") quoted = !quoted;
    if (!quoted && /^\s+and\s+/i.test(text.slice(i)) && /\s/.test(c)) {
      out.push(current.trim());
      current = '';
      i += /^\s+and\s+/i.exec(text.slice(i))![0].length - 1;
      continue;
    }
    current += c;
  }
  out.push(current.trim());
  return out.filter((s) => s.length > 0);
}

const unquote = (s: string) => s.replace(/''/g, "'");

function bad(filter: string, forms: string): DomainError {
  return new DomainError('InvalidFilter', `The $filter '${filter}' is not supported. Supported forms: ${forms}.`, { target: '$filter' });
}

const ASSIGNMENT_FORMS = "atScope(), principalId eq '{objectId}', assignedTo('{objectId}'), joined by 'and'";

export function parseAssignmentFilter(raw: string | undefined): AssignmentFilter {
  const result: AssignmentFilter = { atScope: false };
  if (raw === undefined || raw.trim() === '') return result;
  const text = decode(raw);
  for (const clause of clauses(text)) {
    let m: RegExpExecArray | null;
    if (/^atScope\(\s*\)$/i.test(clause)) result.atScope = true;
    else if ((m = /^principalId\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause)) || (m = /^assignedTo\(\s*'((?:[^']|'')*)'\s*\)$/i.exec(clause))) {
      const id = unquote(m[1]!);
      if (!isGuid(id)) throw new DomainError('InvalidFilter', `The principal id '${id}' in $filter is not a GUID.`, { target: '$filter' });
      if (result.principalId !== undefined && result.principalId !== id.toLowerCase()) throw bad(text, ASSIGNMENT_FORMS);
      result.principalId = id.toLowerCase();
    } else throw bad(text, ASSIGNMENT_FORMS);
  }
  return result;
}

const DEFINITION_FORMS = "roleName eq '{name}', type eq 'BuiltInRole' or 'CustomRole', atScopeAndBelow(), joined by 'and'";

export function parseDefinitionFilter(raw: string | undefined): DefinitionFilter {
  const result: DefinitionFilter = { atScopeAndBelow: false };
  if (raw === undefined || raw.trim() === '') return result;
  const text = decode(raw);
  for (const clause of clauses(text)) {
    let m: RegExpExecArray | null;
    if (/^atScopeAndBelow\(\s*\)$/i.test(clause)) result.atScopeAndBelow = true;
    else if ((m = /^roleName\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause))) result.roleName = unquote(m[1]!);
    else if ((m = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i.exec(clause))) result.type = m[1]!.toLowerCase() === 'builtinrole' ? 'BuiltInRole' : 'CustomRole';
    else throw bad(text, DEFINITION_FORMS);
  }
  return result;
}
