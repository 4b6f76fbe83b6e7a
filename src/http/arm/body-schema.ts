/**
 * A small declarative check of ARM request bodies: the JSON must be an object, and the fields a route
 * declares must have the declared JSON types. Unknown fields are ignored, as ARM ignores them.
 * A wrong type is a 400 `InvalidRequestContent` whose message names the field path; so is a missing
 * field marked required with a trailing `!` (the missing field's path in the message, as ARM's
 * "Required property '…' not found in JSON").
 */
import { DomainError } from '../../core/errors.js';

/**
 * A field's JSON type: `tags` is an object of string values; a trailing `?` also allows null; a
 * trailing `!` makes the field required (absent is a 400). A nested object holding a required field
 * is itself required.
 */
export type FieldType =
  | 'string'
  | 'string?'
  | 'string!'
  | 'boolean'
  | 'boolean!'
  | 'number'
  | 'number!'
  | 'object'
  | 'object?'
  | 'object!'
  | 'tags'
  | 'tags?'
  | 'array'
  | 'array!'
  | 'any'
  | ObjectFields;

export interface ObjectFields {
  [field: string]: FieldType;
}

export interface BodySchema<B> {
  /** When false, an empty body is accepted and the handler sees `undefined`. */
  required: boolean;
  fields: ObjectFields;
  /** Phantom: the TypeScript type the checked body has. */
  readonly _type?: B;
}

/** Declares a body schema for the type `B`. */
export function bodySchema<B>(fields: ObjectFields, required = true): BodySchema<B> {
  return { required, fields };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function invalid(path: string, expected: string, value: unknown): DomainError {
  return new DomainError(
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: the value of '${path}' must be ${expected}, but it is ${jsonType(value)}.`,
    { target: path },
  );
}

function missing(path: string): DomainError {
  return new DomainError(
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: required property '${path}' not found in JSON.`,
    { target: path },
  );
}

/** The path of the first required field in `type` (itself when marked `!`), or undefined. */
function firstRequired(path: string, type: FieldType): string | undefined {
  if (typeof type === 'string') return type.endsWith('!') ? path : undefined;
  for (const [name, inner] of Object.entries(type)) {
    const found = firstRequired(`${path}.${name}`, inner);
    if (found) return found;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkField(path: string, type: FieldType, value: unknown): void {
  if (value === undefined) {
    const required = firstRequired(path, type);
    if (required) throw missing(required);
    return;
  }
  if (typeof type === 'object') {
    if (!isPlainObject(value)) throw invalid(path, 'an object', value);
    checkFields(path + '.', type, value);
    return;
  }
  const nullable = type.endsWith('?');
  if (value === null) {
    if (nullable || type === 'any') return;
    throw invalid(path, `${article(type)}`, value);
  }
  switch (type.replace(/[?!]$/, '')) {
    case 'string':
      if (typeof value !== 'string') throw invalid(path, 'a string', value);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(path, 'a boolean', value);
      return;
    case 'number':
      if (typeof value !== 'number') throw invalid(path, 'a number', value);
      return;
    case 'object':
      if (!isPlainObject(value)) throw invalid(path, 'an object', value);
      return;
    case 'array':
      if (!Array.isArray(value)) throw invalid(path, 'an array', value);
      return;
    case 'tags':
      if (!isPlainObject(value)) throw invalid(path, 'an object of string values', value);
      for (const [name, tagValue] of Object.entries(value)) {
        if (typeof tagValue !== 'string') throw invalid(`${path}.${name}`, 'a string', tagValue);
      }
      return;
    default:
      return;
  }
}

function article(type: FieldType): string {
  const base = String(type).replace(/[?!]$/, '');
  return base === 'object' || base === 'array' ? `an ${base}` : base === 'tags' ? 'an object of string values' : `a ${base}`;
}

function checkFields(prefix: string, fields: ObjectFields, body: Record<string, unknown>): void {
  for (const [name, type] of Object.entries(fields)) {
    // Own properties only: a body's `__proto__` or `constructor` key must not reach the prototype.
    const value = Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
    checkField(prefix + name, type, value);
  }
}

/** Checks a parsed JSON value against the schema; throws `InvalidRequestContent` on the first mismatch. */
export function checkBody<B>(schema: BodySchema<B>, value: unknown): B {
  if (!isPlainObject(value)) {
    throw new DomainError(
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: a JSON object is required, but the content is ${jsonType(value)}.`,
    );
  }
  checkFields('', schema.fields, value);
  return value as B;
}
