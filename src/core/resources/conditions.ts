/**
 * HTTP preconditions on ARM writes (`If-Match` / `If-None-Match`), evaluated against the stored etag
 * so every resource that has one gets the same behaviour: a mismatch is 412 `PreconditionFailed`.
 */
import { DomainError } from '../errors.js';

/** The parsed precondition headers: `*` or a list of entity tags (without quotes or `W/`). */
export interface WriteConditions {
  ifMatch?: '*' | string[];
  ifNoneMatch?: '*' | string[];
}

/**
 * Throws `PreconditionFailed` unless the conditions hold for a resource whose current etag is
 * `currentEtag` (undefined when it does not exist). `If-Match: *` needs the resource to exist,
 * `If-None-Match: *` needs it absent (create-only PUT), per RFC 9110 §13.1.
 */
export function checkWriteConditions(currentEtag: string | undefined, conditions: WriteConditions | undefined): void {
  if (!conditions) return;
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined) {
    const ok = currentEtag !== undefined && (ifMatch === '*' || ifMatch.includes(currentEtag));
    if (!ok) {
      throw new DomainError(
        'PreconditionFailed',
        currentEtag === undefined
          ? 'The If-Match condition failed: the resource does not exist.'
          : `The If-Match condition failed: the resource's current ETag is "${currentEtag}".`,
      );
    }
  }
  if (ifNoneMatch !== undefined && currentEtag !== undefined) {
    if (ifNoneMatch === '*' || ifNoneMatch.includes(currentEtag)) {
      throw new DomainError(
        'PreconditionFailed',
        ifNoneMatch === '*'
          ? 'The If-None-Match condition failed: the resource already exists.'
          : `The If-None-Match condition failed: the resource's current ETag is "${currentEtag}".`,
      );
    }
  }
}
