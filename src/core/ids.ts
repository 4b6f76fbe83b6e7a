/** Identifier helpers: GUIDs as Azure writes them (lower-case, hyphenated). */
import { randomUUID } from 'node:crypto';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a GUID in the 8-4-4-4-12 form (any case). */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** The lower-case form Azure returns for ids. */
export function normalizeGuid(value: string): string {
  return value.toLowerCase();
}

/** Produces ids; injected so tests can predict them. */
export interface IdGenerator {
  newGuid(): string;
}

export const randomIds: IdGenerator = { newGuid: () => randomUUID() };
