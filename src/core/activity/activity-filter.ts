/**
 * The Activity Log's `$filter` and `$select` (ActivityLogs_List, `activityLogs_API.json` 2015-04-01),
 * parsed into an {@link ActivityQuery}. The service accepts only a few patterns: a time range
 * (`eventTimestamp ge '…' and eventTimestamp le '…'`) plus at most one of `resourceGroupName`,
 * `resourceUri`, `resourceProvider`, `correlationId` (`eq '…'`). `az monitor activity-log list`
 * (azure-cli 2.45, monitor/custom.py `_build_activity_log_odata_filter`) also adds `caller eq '…'` and
 * `status eq '…'`, spells the resource condition `resourceId eq '…'`, and writes the timestamps
 * unquoted and without a zone (`datetime.utcnow().isoformat()`: UTC); all of that is accepted here.
 *
 * Pure: no I/O. Throws {@link ActivityQueryError} with a message that says what to write instead.
 */
import type { ActivityEventBody, ActivityQuery } from './model.js';

export class ActivityQueryError extends Error {
  override readonly name = 'ActivityQueryError';
}

const PATTERNS =
  "Use: eventTimestamp ge '<start>' and eventTimestamp le '<end>' [and resourceGroupName eq '<name>' | resourceUri eq '<id>' | resourceProvider eq '<namespace>' | correlationId eq '<id>'] [and caller eq '<caller>'] [and status eq '<status>'].";

/** The longest `$filter` accepted (Azure's URLs are limited to a few KiB anyway). */
const MAX_FILTER_LENGTH = 4096;

/** The one-of conditions that say which resources the events are about. */
const SCOPE_FIELDS = {
  resourcegroupname: 'resourceGroupName',
  resourceuri: 'resourceId',
  resourceid: 'resourceId',
  resourceprovider: 'resourceProvider',
  correlationid: 'correlationId',
} as const;
const OTHER_FIELDS = { caller: 'caller', status: 'status' } as const;

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string };

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      // OData string literal: a quote inside is doubled.
      let text = '';
      i++;
      for (;;) {
        if (i >= filter.length) throw new ActivityQueryError(`The $filter has an unterminated string literal. ${PATTERNS}`);
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += filter[i++];
      }
      tokens.push({ kind: 'string', text });
      continue;
    }
    let j = i;
    while (j < filter.length && !/\s/.test(filter[j]!) && filter[j] !== "'") j++;
    tokens.push({ kind: 'word', text: filter.slice(i, j) });
    i = j;
  }
  return tokens;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 date or date-time as ISO with milliseconds in UTC. No zone means UTC (az writes
 * `datetime.utcnow().isoformat()`); fractions beyond milliseconds (.NET's 7 digits) are truncated.
 */
export function parseTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = (frac + '000').slice(0, 3);
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  if (Number.isNaN(value)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: refuse dates that do not exist.
  const local = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (local.getUTCMonth() !== Number(mo) - 1 || local.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return new Date(value).toISOString();
}

/**
 * Parses `$filter` for one subscription. `now` (ms) is the end of the range when the filter gives no
 * `eventTimestamp le`. Throws ActivityQueryError.
 */
export function parseActivityFilter(filter: string | undefined, subscriptionId: string, now: number): ActivityQuery {
  if (filter === undefined || filter.trim() === '') {
    throw new ActivityQueryError(`The $filter query parameter is required: the Activity Log is listed for a time range. ${PATTERNS}`);
  }
  if (filter.length > MAX_FILTER_LENGTH) throw new ActivityQueryError(`The $filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  const tokens = tokenize(filter);
  const query: Partial<ActivityQuery> & { subscriptionId: string } = { subscriptionId };
  let scopeField: string | undefined;
  let i = 0;
  for (;;) {
    const [field, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (!field || field.kind !== 'word' || !op || op.kind !== 'word' || !value) {
      throw new ActivityQueryError(`The $filter '${clip(filter)}' is not valid: expected '<property> <operator> <value>'. ${PATTERNS}`);
    }
    applyTerm(query, field.text, op.text.toLowerCase(), value, () => {
      const name = field.text.toLowerCase();
      if (!(name in SCOPE_FIELDS)) return;
      if (scopeField)
        throw new ActivityQueryError(`The $filter may name only one of resourceGroupName, resourceUri, resourceProvider and correlationId. ${PATTERNS}`);
      scopeField = name;
    });
    i += 3;
    if (i >= tokens.length) break;
    const joiner = tokens[i]!;
    if (joiner.kind !== 'word' || joiner.text.toLowerCase() !== 'and') {
      throw new ActivityQueryError(`The $filter may join conditions with 'and' only (found '${clip(joiner.text)}'). ${PATTERNS}`);
    }
    i++;
  }
  if (!query.from) throw new ActivityQueryError(`The $filter must give the start of the time range: eventTimestamp ge '<start>'. ${PATTERNS}`);
  const to = query.to ?? new Date(now).toISOString();
  if (to < query.from) throw new ActivityQueryError(`The $filter's time range is empty: the start (${query.from}) is after the end (${to}).`);
  return { ...query, from: query.from, to };
}

function applyTerm(query: Partial<ActivityQuery>, field: string, op: string, value: Token, onScope: () => void): void {
  const name = field.toLowerCase();
  if (name === 'eventtimestamp') {
    if (op !== 'ge' && op !== 'le') throw new ActivityQueryError(`eventTimestamp is compared with 'ge' and 'le' only (found '${clip(op)}'). ${PATTERNS}`);
    const at = parseTimestamp(value.text);
    if (!at) throw new ActivityQueryError(`'${clip(value.text)}' is not an ISO 8601 date and time (e.g. 2026-01-31T08:00:00Z).`);
    const key = op === 'ge' ? 'from' : 'to';
    if (query[key]) throw new ActivityQueryError(`The $filter gives 'eventTimestamp ${op}' twice.`);
    query[key] = at;
    return;
  }
  const target = (SCOPE_FIELDS as Record<string, keyof ActivityQuery>)[name] ?? (OTHER_FIELDS as Record<string, keyof ActivityQuery>)[name];
  if (!target) throw new ActivityQueryError(`The $filter cannot use the property '${clip(field)}'. ${PATTERNS}`);
  if (op !== 'eq') throw new ActivityQueryError(`${field} is compared with 'eq' only (found '${clip(op)}'). ${PATTERNS}`);
  if (value.kind !== 'string' || value.text === '')
    throw new ActivityQueryError(`The value of ${field} must be a non-empty quoted string, e.g. ${field} eq 'value'.`);
  onScope();
  if (query[target] !== undefined) throw new ActivityQueryError(`The $filter gives '${field}' twice.`);
  (query as Record<string, string>)[target] = value.text;
}

/** The properties `$select` may name: every top-level property of EventData. */
export const SELECTABLE: readonly (keyof ActivityEventBody)[] = [
  'authorization',
  'caller',
  'channels',
  'claims',
  'correlationId',
  'description',
  'eventDataId',
  'eventName',
  'category',
  'httpRequest',
  'id',
  'level',
  'resourceGroupName',
  'resourceProviderName',
  'resourceId',
  'resourceType',
  'operationId',
  'operationName',
  'properties',
  'status',
  'subStatus',
  'eventTimestamp',
  'submissionTimestamp',
  'subscriptionId',
  'tenantId',
];

/**
 * `$select`: a comma-separated list of property names (az joins them with ' , '). Returns the
 * canonical names, or undefined for all properties. Throws ActivityQueryError for an unknown name.
 */
export function parseActivitySelect(select: string | undefined): (keyof ActivityEventBody)[] | undefined {
  if (select === undefined || select.trim() === '') return undefined;
  const names = select.split(',').map((s) => s.trim());
  return names.map((name) => {
    const found = SELECTABLE.find((s) => s.toLowerCase() === name.toLowerCase());
    if (!found) throw new ActivityQueryError(`$select cannot name '${clip(name)}'. Possible values: ${SELECTABLE.join(', ')}.`);
    return found;
  });
}

/** Keeps only the selected properties of an event body. */
export function selectProperties(body: ActivityEventBody, select: readonly (keyof ActivityEventBody)[] | undefined): Partial<ActivityEventBody> {
  if (!select) return body;
  return Object.fromEntries(select.map((k) => [k, body[k]]));
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
