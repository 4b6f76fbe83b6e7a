/**
 * Keyless's KQL subset: a recursive-descent parser of its own (docs/adr/0015-kusto.md) from tokens to
 * commands and queries. What it accepts is listed in the ADR; anything else is a syntax error naming
 * what was expected, never a guess. Pure: no I/O.
 */
import { syntaxError, tokenize, type Token } from './kql-lexer.js';

export const SCALAR_TYPES = [
  'string',
  'long',
  'int',
  'real',
  'double',
  'bool',
  'boolean',
  'datetime',
  'date',
  'timespan',
  'time',
  'guid',
  'uuid',
  'uniqueid',
  'dynamic',
  'decimal',
  'int64',
  'int32',
] as const;
/** The canonical type names Kusto reports. */
export type ScalarType = 'string' | 'long' | 'int' | 'real' | 'bool' | 'datetime' | 'timespan' | 'guid' | 'dynamic' | 'decimal';
const CANONICAL: Record<string, ScalarType> = {
  string: 'string',
  long: 'long',
  int64: 'long',
  int: 'int',
  int32: 'int',
  real: 'real',
  double: 'real',
  bool: 'bool',
  boolean: 'bool',
  datetime: 'datetime',
  date: 'datetime',
  timespan: 'timespan',
  time: 'timespan',
  guid: 'guid',
  uuid: 'guid',
  uniqueid: 'guid',
  dynamic: 'dynamic',
  decimal: 'decimal',
};

export interface ColumnDef {
  name: string;
  type: ScalarType;
}

export type Expr = { k: 'lit'; value: unknown } | { k: 'col'; name: string } | { k: 'bin'; op: string; left: Expr; right: Expr } | { k: 'not'; e: Expr };

export type Aggregate = { name: string; fn: 'count' | 'sum' | 'min' | 'max' | 'avg' | 'dcount'; column?: string };

export type QueryOp =
  | { op: 'where'; pred: Expr }
  | { op: 'take'; n: number }
  | { op: 'count' }
  | { op: 'project'; columns: { name: string; expr: Expr }[] }
  | { op: 'summarize'; aggregates: Aggregate[]; by: string[] }
  | { op: 'evaluate'; plugin: string; strings: string[] };

export type QuerySource = { kind: 'table'; name: string } | { kind: 'external_table'; name: string } | { kind: 'externaldata'; strings: string[] };

export interface Query {
  source: QuerySource;
  ops: QueryOp[];
}

export type PolicyScope = { kind: 'cluster' } | { kind: 'database'; name: string };

export type Command =
  | { c: 'create-table'; merge: boolean; table: string; columns: ColumnDef[] }
  | { c: 'drop-table'; table: string; ifExists: boolean }
  | { c: 'show-tables' }
  | { c: 'show-table-schema'; table: string }
  | { c: 'set-or-append'; table: string; query: Query }
  | { c: 'ingest'; table: string; sources: string[]; props: Record<string, string> }
  | { c: 'policy'; action: 'alter' | 'alter-merge' | 'delete' | 'show'; scope: PolicyScope; json?: string }
  | { c: 'create-external-table'; name: string; columns: ColumnDef[]; format: string; sources: string[]; props: Record<string, string> }
  | { c: 'drop-external-table'; name: string }
  | { c: 'show-external-tables' }
  | { c: 'export'; format: string; targets: string[]; props: Record<string, string>; query: Query }
  | { c: 'continuous-export'; name: string; over: string[]; externalTable: string; props: Record<string, string>; query: Query }
  | { c: 'show-continuous-exports' }
  | { c: 'drop-continuous-export'; name: string }
  | { c: 'update-policy'; action: 'alter' | 'show' | 'delete'; table: string; json?: string };

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i++;
    return t;
  }
  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }
  isPunct(p: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'punct' && t.text === p;
  }
  fail(expected: string): never {
    const t = this.peek();
    throw syntaxError(`expected ${expected} but found ${t.kind === 'end' ? 'the end of the text' : `'${t.text}'`}`, t.at);
  }
  word(word: string): void {
    if (!this.isWord(word)) this.fail(`'${word}'`);
    this.next();
  }
  punct(p: string): void {
    if (!this.isPunct(p)) this.fail(`'${p}'`);
    this.next();
  }
  optWord(word: string): boolean {
    if (this.isWord(word)) {
      this.next();
      return true;
    }
    return false;
  }
  optPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.next();
      return true;
    }
    return false;
  }
  /** An entity name: an identifier or a bracketed/quoted name (`['My Table']`). */
  name(what: string): string {
    const t = this.peek();
    if (t.kind === 'ident') {
      this.next();
      return t.text;
    }
    if (this.isPunct('[') && this.peek(1).kind === 'string' && this.isPunct(']', 2)) {
      this.next();
      const s = this.next().text;
      this.next();
      return s;
    }
    if (t.kind === 'string') {
      this.next();
      return t.text;
    }
    return this.fail(what);
  }
  string(what: string): string {
    const t = this.peek();
    if (t.kind !== 'string') this.fail(what);
    this.next();
    return t.text;
  }
  end(): void {
    this.optPunct(';');
    if (this.peek().kind !== 'end') this.fail('the end of the command');
  }
  atEnd(): boolean {
    return this.peek().kind === 'end';
  }

  columns(): ColumnDef[] {
    this.punct('(');
    const out: ColumnDef[] = [];
    if (!this.isPunct(')')) {
      do {
        const name = this.name('a column name');
        this.punct(':');
        const typeToken = this.next();
        const type = CANONICAL[typeToken.text.toLowerCase()];
        if (typeToken.kind !== 'ident' || !type)
          throw syntaxError(
            `'${typeToken.text}' is not a Kusto scalar type (string, long, int, real, bool, datetime, timespan, guid, dynamic, decimal)`,
            typeToken.at,
          );
        if (out.some((c) => c.name === name)) throw syntaxError(`column '${name}' is declared twice`, typeToken.at);
        out.push({ name, type });
      } while (this.optPunct(','));
    }
    this.punct(')');
    return out;
  }

  /** `with (k=v, …)`: values are identifiers, strings, numbers, timespans or booleans, kept as text. */
  withProps(): Record<string, string> {
    const props: Record<string, string> = {};
    if (!this.optWord('with')) return props;
    this.punct('(');
    if (!this.isPunct(')')) {
      do {
        const key = this.name('a property name');
        this.punct('=');
        const t = this.next();
        if (t.kind === 'end' || t.kind === 'punct') throw syntaxError(`expected a value for property '${key}'`, t.at);
        props[key] = t.text;
      } while (this.optPunct(','));
    }
    this.punct(')');
    return props;
  }

  /** `(h'…', '…')`: storage connection strings. */
  stringList(what: string): string[] {
    this.punct('(');
    const out = [this.string(what)];
    while (this.optPunct(',')) out.push(this.string(what));
    this.punct(')');
    return out;
  }

  query(): Query {
    let source: QuerySource;
    if (this.isWord('external_table') && this.isPunct('(', 1)) {
      this.next();
      this.next();
      const name = this.string("the external table's name as a string");
      this.punct(')');
      source = { kind: 'external_table', name };
    } else if (this.isWord('externaldata')) {
      this.next();
      const strings: string[] = [];
      // Only recognised to answer its managed-identity rule; its schema and options are skipped.
      while (!this.atEnd() && !this.isPunct('|')) {
        const t = this.next();
        if (t.kind === 'string') strings.push(t.text);
      }
      source = { kind: 'externaldata', strings };
    } else {
      source = { kind: 'table', name: this.name('a table name') };
    }
    const ops: QueryOp[] = [];
    while (this.optPunct('|')) ops.push(this.operator());
    this.optPunct(';');
    if (!this.atEnd()) this.fail("'|' or the end of the query");
    return { source, ops };
  }

  operator(): QueryOp {
    const t = this.next();
    const word = t.kind === 'ident' ? t.text.toLowerCase() : '';
    switch (word) {
      case 'where':
      case 'filter':
        return { op: 'where', pred: this.expr() };
      case 'take':
      case 'limit': {
        const n = this.next();
        if (n.kind !== 'number' || !/^\d+$/.test(n.text)) throw syntaxError(`'${word}' needs a whole number of rows`, n.at);
        return { op: 'take', n: Number(n.text) };
      }
      case 'count':
        return { op: 'count' };
      case 'project': {
        const columns: { name: string; expr: Expr }[] = [];
        do {
          const first = this.name('a column name');
          if (this.optPunct('=')) columns.push({ name: first, expr: this.expr() });
          else columns.push({ name: first, expr: { k: 'col', name: first } });
        } while (this.optPunct(','));
        return { op: 'project', columns };
      }
      case 'summarize': {
        const aggregates: Aggregate[] = [];
        do {
          let name: string | undefined;
          if (this.peek().kind === 'ident' && this.isPunct('=', 1)) {
            name = this.next().text;
            this.next();
          }
          const fnToken = this.next();
          const fn = fnToken.text.toLowerCase();
          if (!['count', 'sum', 'min', 'max', 'avg', 'dcount'].includes(fn))
            throw syntaxError(`'${fnToken.text}' is not an aggregation Keyless supports (count, sum, min, max, avg, dcount)`, fnToken.at);
          this.punct('(');
          let column: string | undefined;
          if (!this.isPunct(')')) column = this.name('a column name');
          this.punct(')');
          if (fn !== 'count' && !column) throw syntaxError(`${fn}() needs a column`, fnToken.at);
          aggregates.push({ name: name ?? (fn === 'count' ? 'count_' : `${fn}_${column}`), fn: fn as Aggregate['fn'], ...(column ? { column } : {}) });
        } while (this.optPunct(','));
        const by: string[] = [];
        if (this.optWord('by')) {
          do by.push(this.name('a column name'));
          while (this.optPunct(','));
        }
        return { op: 'summarize', aggregates, by };
      }
      case 'evaluate': {
        const plugin = this.name('a plugin name');
        const strings: string[] = [];
        let depth = 0;
        while (!this.atEnd() && !(depth === 0 && this.isPunct('|'))) {
          const x = this.next();
          if (x.kind === 'string') strings.push(x.text);
          if (x.kind === 'punct' && x.text === '(') depth++;
          if (x.kind === 'punct' && x.text === ')') depth--;
        }
        return { op: 'evaluate', plugin, strings };
      }
      default:
        throw syntaxError(`'${t.text}' is not a query operator Keyless supports (where, take, limit, count, project, summarize)`, t.at);
    }
  }

  expr(): Expr {
    let left = this.andExpr();
    while (this.optWord('or')) left = { k: 'bin', op: 'or', left, right: this.andExpr() };
    return left;
  }
  andExpr(): Expr {
    let left = this.comparison();
    while (this.optWord('and')) left = { k: 'bin', op: 'and', left, right: this.comparison() };
    return left;
  }
  comparison(): Expr {
    const left = this.primary();
    const t = this.peek();
    const ops = ['==', '!=', '<', '<=', '>', '>=', '=~', '!~'];
    if (t.kind === 'punct' && ops.includes(t.text)) {
      this.next();
      return { k: 'bin', op: t.text, left, right: this.primary() };
    }
    if (t.kind === 'ident' && ['contains', 'has', 'startswith', 'endswith', 'contains_cs'].includes(t.text.toLowerCase())) {
      this.next();
      return { k: 'bin', op: t.text.toLowerCase(), left, right: this.primary() };
    }
    if (t.kind === 'punct' && t.text === '!') this.fail('an operator');
    if (t.kind === 'ident' && t.text.startsWith('!')) this.fail('an operator');
    return left;
  }
  primary(): Expr {
    const t = this.peek();
    if (this.optPunct('(')) {
      const e = this.expr();
      this.punct(')');
      return e;
    }
    if (t.kind === 'string') {
      this.next();
      return { k: 'lit', value: t.text };
    }
    if (t.kind === 'number') {
      this.next();
      return { k: 'lit', value: Number(t.text) };
    }
    if (t.kind === 'punct' && t.text === '-' && this.peek(1).kind === 'number') {
      this.next();
      return { k: 'lit', value: -Number(this.next().text) };
    }
    if (t.kind === 'ident') {
      const w = t.text.toLowerCase();
      if (w === 'true' || w === 'false') {
        this.next();
        return { k: 'lit', value: w === 'true' };
      }
      if (w === 'not' && this.isPunct('(', 1)) {
        this.next();
        this.next();
        const e = this.expr();
        this.punct(')');
        return { k: 'not', e };
      }
      if (this.isPunct('(', 1)) throw syntaxError(`the function '${t.text}' is not supported by Keyless's KQL subset`, t.at);
      this.next();
      return { k: 'col', name: t.text };
    }
    if (this.isPunct('[') && this.peek(1).kind === 'string') return { k: 'col', name: this.name('a column') };
    return this.fail('a column, a literal or (');
  }

  command(): Command {
    const dot = this.next();
    if (dot.kind !== 'punct' || dot.text !== '.') throw syntaxError('a management command starts with a dot', dot.at);
    const verbToken = this.next();
    const verb = verbToken.text.toLowerCase();
    switch (verb) {
      case 'create':
      case 'create-merge': {
        if (verb === 'create' && this.isWord('external')) {
          this.next();
          this.word('table');
          const name = this.name('an external table name');
          const columns = this.columns();
          this.word('kind');
          this.punct('=');
          const kind = this.name('storage').toLowerCase();
          if (kind !== 'storage' && kind !== 'blob' && kind !== 'adl')
            throw syntaxError(`external tables of kind '${kind}' are not supported by Keyless; use kind=storage`);
          let format = 'csv';
          if (this.optWord('dataformat')) {
            this.punct('=');
            format = this.name('a data format').toLowerCase();
          }
          const sources = this.stringList('a storage connection string');
          const props = this.withProps();
          this.end();
          return { c: 'create-external-table', name, columns, format, sources, props };
        }
        this.word('table');
        const table = this.name('a table name');
        const columns = this.columns();
        this.end();
        return { c: 'create-table', merge: verb === 'create-merge', table, columns };
      }
      case 'drop': {
        if (this.optWord('external')) {
          this.word('table');
          const name = this.name('an external table name');
          this.end();
          return { c: 'drop-external-table', name };
        }
        if (this.optWord('continuous-export')) {
          const name = this.name('a continuous export name');
          this.end();
          return { c: 'drop-continuous-export', name };
        }
        this.word('table');
        const table = this.name('a table name');
        const ifExists = this.optWord('ifexists');
        this.end();
        return { c: 'drop-table', table, ifExists };
      }
      case 'show': {
        if (this.optWord('tables')) {
          this.end();
          return { c: 'show-tables' };
        }
        if (this.optWord('table')) {
          const table = this.name('a table name');
          if (this.optWord('policy')) {
            this.word('update');
            this.end();
            return { c: 'update-policy', action: 'show', table };
          }
          this.word('schema');
          this.word('as');
          this.word('json');
          this.end();
          return { c: 'show-table-schema', table };
        }
        if (this.isWord('external') && this.isWord('tables', 1)) {
          this.next();
          this.next();
          this.end();
          return { c: 'show-external-tables' };
        }
        if (this.isWord('continuous-exports') || (this.isWord('continuous-export') && this.isWord('s', 1))) {
          this.next();
          this.end();
          return { c: 'show-continuous-exports' };
        }
        const scope = this.policyScope();
        this.word('policy');
        this.word('managed_identity');
        this.end();
        return { c: 'policy', action: 'show', scope };
      }
      case 'alter':
      case 'alter-merge': {
        if (verb === 'alter' && this.isWord('table')) {
          this.next();
          const table = this.name('a table name');
          this.word('policy');
          this.word('update');
          const json = this.string('the update policy as a JSON array in a string literal');
          this.end();
          return { c: 'update-policy', action: 'alter', table, json };
        }
        const scope = this.policyScope();
        this.word('policy');
        if (!this.isWord('managed_identity')) this.fail("'managed_identity' (the only policy Keyless implements)");
        this.next();
        const json = this.string('the policy as a JSON array in a string or ```multi-line``` literal');
        this.end();
        return { c: 'policy', action: verb, scope, json };
      }
      case 'delete': {
        if (this.optWord('table')) {
          const table = this.name('a table name');
          this.word('policy');
          this.word('update');
          this.end();
          return { c: 'update-policy', action: 'delete', table };
        }
        const scope = this.policyScope();
        this.word('policy');
        this.word('managed_identity');
        this.end();
        return { c: 'policy', action: 'delete', scope };
      }
      case 'set-or-append': {
        const table = this.name('a table name');
        this.withProps();
        this.punct('<|');
        return { c: 'set-or-append', table, query: this.query() };
      }
      case 'ingest': {
        this.optWord('async');
        this.word('into');
        this.word('table');
        const table = this.name('a table name');
        const sources = this.stringList('a storage connection string');
        const props = this.withProps();
        this.end();
        return { c: 'ingest', table, sources, props };
      }
      case 'export': {
        this.optWord('async');
        this.optWord('compressed');
        this.word('to');
        const format = this.name('a data format').toLowerCase();
        const targets = this.stringList('a storage connection string');
        const props = this.withProps();
        this.punct('<|');
        return { c: 'export', format, targets, props, query: this.query() };
      }
      case 'create-or-alter': {
        this.word('continuous-export');
        const name = this.name('a continuous export name');
        const over: string[] = [];
        if (this.optWord('over')) {
          this.punct('(');
          do over.push(this.name('a table name'));
          while (this.optPunct(','));
          this.punct(')');
        }
        this.word('to');
        this.word('table');
        const externalTable = this.name('an external table name');
        const props = this.withProps();
        this.punct('<|');
        return { c: 'continuous-export', name, over, externalTable, props, query: this.query() };
      }
      default:
        throw syntaxError(`'.${verbToken.text}' is not a management command Keyless supports`, verbToken.at);
    }
  }

  policyScope(): PolicyScope {
    if (this.optWord('cluster')) return { kind: 'cluster' };
    if (this.optWord('database')) return { kind: 'database', name: this.name('a database name') };
    return this.fail("'cluster' or 'database <name>'");
  }
}

export function parseCommand(source: string): Command {
  return new Parser(tokenize(source)).command();
}

export function parseQuery(source: string): Query {
  return new Parser(tokenize(source)).query();
}
