/**
 * Keyless's KQL subset (src/core/kusto): the lexer's literal forms, the command and query grammar,
 * what is refused as a syntax or semantic error (never a guessed answer), query evaluation, the
 * managed_identity policy's parsing and merging, and storage connection strings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KustoError } from '../../src/core/kusto/errors.js';
import { tokenize } from '../../src/core/kusto/kql-lexer.js';
import { parseCommand, parseQuery } from '../../src/core/kusto/kql-parser.js';
import { mergePolicy, parsePolicy, policyAllows } from '../../src/core/kusto/policy.js';
import { runQuery } from '../../src/core/kusto/query-engine.js';
import { parseStorageRef } from '../../src/core/kusto/service.js';
import { coerce, parseCsv, toCsv } from '../../src/core/kusto/values.js';

const kind = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof KustoError) return e.kind;
    throw e;
  }
  return 'none';
};

describe('KQL lexer', () => {
  it('reads every string literal form', () => {
    const t = tokenize(`'a\\'b' "c\\"d" @'e''f' h'secret' h@'C:\\x' \`\`\`[{"a": 'b'}]\`\`\``);
    assert.deepEqual(
      t.filter((x) => x.kind === 'string').map((x) => x.text),
      ["a'b", 'c"d', "e'f", 'secret', 'C:\\x', `[{"a": 'b'}]`],
    );
    assert.equal(t[3]!.obfuscated, true);
  });
  it('reads dashed command words, numbers and timespans', () => {
    assert.deepEqual(
      tokenize('.create-merge .set-or-append .create-or-alter continuous-export')
        .filter((x) => x.kind === 'ident')
        .map((x) => x.text),
      ['create-merge', 'set-or-append', 'create-or-alter', 'continuous-export'],
    );
    const [n, ts] = tokenize('12.5 5m');
    assert.deepEqual([n!.kind, ts!.kind, ts!.ms], ['number', 'timespan', 300_000]);
  });
  it('refuses unclosed literals and unknown characters', () => {
    assert.equal(
      kind(() => tokenize("'open")),
      'syntax',
    );
    assert.equal(
      kind(() => tokenize('```open')),
      'syntax',
    );
    assert.equal(
      kind(() => tokenize('T | where a # 1')),
      'syntax',
    );
    assert.equal(
      kind(() => tokenize('5parsecs')),
      'syntax',
    );
  });
});

describe('KQL grammar', () => {
  it('parses table, policy, ingest, external table and export commands', () => {
    assert.deepEqual(parseCommand('.create table T (a:string, b:long, c:double)'), {
      c: 'create-table',
      merge: false,
      table: 'T',
      columns: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'long' },
        { name: 'c', type: 'real' },
      ],
    });
    assert.deepEqual(parseCommand(".show database ['My Db'] policy managed_identity"), {
      c: 'policy',
      action: 'show',
      scope: { kind: 'database', name: 'My Db' },
    });
    assert.deepEqual(parseCommand('.alter-merge cluster policy managed_identity ```[]```'), {
      c: 'policy',
      action: 'alter-merge',
      scope: { kind: 'cluster' },
      json: '[]',
    });
    assert.deepEqual(parseCommand(".ingest async into table T (h'https://a/c/f.csv;managed_identity=system') with (format='csv', ignoreFirstRecord=true)"), {
      c: 'ingest',
      table: 'T',
      sources: ['https://a/c/f.csv;managed_identity=system'],
      props: { format: 'csv', ignoreFirstRecord: 'true' },
    });
    const ext = parseCommand(".create external table X (k:string) kind=storage dataformat=csv (h@'https://a/c;managed_identity=system')");
    assert.equal(ext.c, 'create-external-table');
    const ce = parseCommand(
      '.create-or-alter continuous-export E over (T) to table X with (intervalBetweenRuns=5m, managedIdentity="system") <| T | where a > 1',
    );
    assert.deepEqual(ce.c === 'continuous-export' && [ce.name, ce.over, ce.externalTable, ce.props], [
      'E',
      ['T'],
      'X',
      { intervalBetweenRuns: '5m', managedIdentity: 'system' },
    ]);
    assert.equal(parseCommand(".export to csv (h'https://a/c') <| T").c, 'export');
    assert.deepEqual(parseCommand(`.alter table T policy update @'[{"Source": "S"}]'`), {
      c: 'update-policy',
      action: 'alter',
      table: 'T',
      json: '[{"Source": "S"}]',
    });
    assert.deepEqual(parseCommand('.show table T policy update'), { c: 'update-policy', action: 'show', table: 'T' });
  });
  it('parses queries with where, project, summarize, take and external_table', () => {
    const q = parseQuery("T | where a == 'x' and (b > 2 or not(c contains 'y')) | project a, d = b | summarize n = count(), sum(d) by a | take 5");
    assert.deepEqual(
      q.ops.map((o) => o.op),
      ['where', 'project', 'summarize', 'take'],
    );
    assert.deepEqual(parseQuery("external_table('X') | count").source, { kind: 'external_table', name: 'X' });
  });
  it('refuses what is outside the subset with a syntax error', () => {
    for (const text of ['T | join U on a', 'T | where', 'T | take -1', 'T |', 'T | extend x = 1', 'T | where strlen(a) > 1', 'T U']) {
      assert.equal(
        kind(() => parseQuery(text)),
        'syntax',
        text,
      );
    }
    for (const text of [
      '.purge table T',
      '.create table T (a:varchar)',
      '.create table T (a:string, a:long)',
      '.alter cluster policy caching ```{}```',
      '.show cluster policy managed_identity extra',
    ]) {
      assert.equal(
        kind(() => parseCommand(text)),
        'syntax',
        text,
      );
    }
  });
});

describe('query evaluation', () => {
  const table = {
    columns: [
      { name: 'n', type: 'string' as const },
      { name: 'v', type: 'long' as const },
    ],
    rows: [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['c', null],
    ],
  };
  it('filters, projects, counts and summarizes', () => {
    assert.deepEqual(runQuery(table, parseQuery("T | where n == 'a' | count")).rows, [[2]]);
    assert.deepEqual(runQuery(table, parseQuery('T | where v >= 2 | project n')).rows, [['b'], ['a']]);
    assert.deepEqual(runQuery(table, parseQuery('T | where v != 1 | count')).rows, [[2]], 'null is neither equal nor unequal');
    const s = runQuery(table, parseQuery('T | summarize c = count(), total = sum(v), top = max(v) by n'));
    assert.deepEqual(
      s.columns.map((c) => `${c.name}:${c.type}`),
      ['n:string', 'c:long', 'total:long', 'top:long'],
    );
    assert.deepEqual(s.rows, [
      ['a', 2, 4, 3],
      ['b', 1, 2, 2],
      ['c', 1, 0, null],
    ]);
    assert.deepEqual(runQuery(table, parseQuery("T | where n =~ 'A' or v == 2 | take 2 | project n")).rows, [['a'], ['b']]);
  });
  it('refuses unknown columns and non-boolean predicates as semantic errors', () => {
    assert.equal(
      kind(() => runQuery(table, parseQuery('T | where missing == 1'))),
      'semantic',
    );
    assert.equal(
      kind(() => runQuery(table, parseQuery('T | where v'))),
      'semantic',
    );
    assert.equal(
      kind(() => runQuery(table, parseQuery('T | summarize sum(n)'))),
      'semantic',
    );
  });
});

describe('managed_identity policy', () => {
  const oid = '11111111-2222-3333-4444-555555555555';
  it('parses both documented literal forms and merges usages per ObjectId', () => {
    assert.deepEqual(parsePolicy(`[{"ObjectId": "${oid.toUpperCase()}", "AllowedUsages": "NativeIngestion, ExternalTable"}]`), [
      { ObjectId: oid, AllowedUsages: ['NativeIngestion', 'ExternalTable'] },
    ]);
    assert.deepEqual(parsePolicy("[ { 'ObjectId' : 'system', 'AllowedUsages' : 'NativeIngestion' }]"), [
      { ObjectId: 'system', AllowedUsages: ['NativeIngestion'] },
    ]);
    const merged = mergePolicy(
      [{ ObjectId: 'system', AllowedUsages: ['NativeIngestion'] }],
      [
        { ObjectId: 'system', AllowedUsages: ['ExternalTable', 'NativeIngestion'] },
        { ObjectId: oid, AllowedUsages: ['All'] },
      ],
    );
    assert.deepEqual(merged, [
      { ObjectId: 'system', AllowedUsages: ['NativeIngestion', 'ExternalTable'] },
      { ObjectId: oid, AllowedUsages: ['All'] },
    ]);
    assert.equal(policyAllows(merged, { system: false, objectId: oid }, 'SqlRequest'), true);
    assert.equal(policyAllows(merged, { system: true, objectId: 'x' }, 'AutomatedFlows'), false);
  });
  it('refuses malformed policies', () => {
    for (const text of [
      '{}',
      '[1]',
      '[{"ObjectId": "nope", "AllowedUsages": "All"}]',
      '[{"ObjectId": "system"}]',
      '[{"ObjectId": "system", "AllowedUsages": "Everything"}]',
      '[{"ObjectId": "system", "AllowedUsages": "All", "Extra": 1}]',
      '[{"ObjectId": "system", "AllowedUsages": "All"}, {"ObjectId": "SYSTEM", "AllowedUsages": "All"}]',
      'not json',
    ]) {
      assert.equal(
        kind(() => parsePolicy(text)),
        'bad-request',
        text,
      );
    }
  });
});

describe('values and connection strings', () => {
  it('reads CSV with quotes and types fields', () => {
    assert.deepEqual(parseCsv('a,"b,c","d""e"\r\n1,,x\n'), [
      ['a', 'b,c', 'd"e'],
      ['1', '', 'x'],
    ]);
    assert.deepEqual(
      [coerce('42', 'long'), coerce('4.5', 'long'), coerce('true', 'bool'), coerce('2024-01-02', 'datetime'), coerce('x', 'guid')],
      [42, null, true, '2024-01-02T00:00:00.000Z', null],
    );
    assert.equal(toCsv([['a,b', 1, null]], ['x', 'y', 'z']), 'x,y,z\n"a,b",1,\n');
  });
  it('splits storage connection strings and refuses unsupported credentials', () => {
    assert.deepEqual(parseStorageRef('https://a.blob.x/c/f.csv;managed_identity=SYSTEM'), { url: 'https://a.blob.x/c/f.csv', identity: 'system' });
    assert.equal(
      kind(() => parseStorageRef('http://a/c;managed_identity=system')),
      'bad-request',
    );
    assert.equal(
      kind(() => parseStorageRef('https://a/c;token=abc')),
      'bad-request',
    );
    assert.equal(
      kind(() => parseStorageRef('not a url')),
      'bad-request',
    );
  });
});
