/** Small helpers every part of the managed-cluster properties writer uses. */
import { DomainError } from '../../../core/errors.js';
import type { JsonObject } from '../../../core/resources/tracked/json-paths.js';

/** An `InvalidParameter` refusal naming the property at fault. */
export const invalidParameter = (message: string, target: string) => new DomainError('InvalidParameter', message, { target });

/** An object's entries without null and undefined values (and without the `except` keys). */
export function withoutNulls(sent: JsonObject, except: readonly string[] = []): JsonObject {
  return Object.fromEntries(Object.entries(sent).filter(([k, v]) => v !== null && v !== undefined && !except.includes(k)));
}
