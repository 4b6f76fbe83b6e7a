/**
 * Runs one suite against every storage engine: embedded SQLite (a temp file) and PostgreSQL (a fresh
 * database on the run's cluster, see postgres.ts). Everything opened through the harness is closed,
 * dropped and deleted after the suite.
 *
 *   forEachEngine('resource groups', (open) => {
 *     it('stores a group', async () => { const store = await open(); … });
 *   });
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import type { Store } from '../../src/core/ports.js';
import { openStore, type OpenStoreOptions } from '../../src/storage/store.js';
import { createTestDatabase, startPostgres, type RunningPostgres } from './postgres.js';

export type EngineName = Store['engine'];
export const ENGINES: readonly EngineName[] = ['sqlite', 'postgres'];

/** Opens a store on a fresh, empty, migrated database. */
export type OpenStore = () => Promise<Store>;

export interface EngineHarness {
  engine: EngineName;
  /** A store on a fresh, empty database. */
  open: OpenStore;
  /** Another store on the database behind `store` (a restart after `close`, or a second server). */
  reopen(store: Store): Promise<Store>;
  /** A fresh database, not opened: what to pass to `openStore` (or to a server under test). */
  createLocation(): Promise<OpenStoreOptions>;
  /** Where `store` keeps its data. */
  locationOf(store: Store): OpenStoreOptions;
}

/** Registers `describe('<name> [<engine>]')` once per engine, handing `body` the engine's opener. */
export function forEachEngine(name: string, body: (open: OpenStore, harness: EngineHarness) => void): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      const harness = createHarness(engine);
      after(() => harness.dispose());
      body(harness.open, harness);
    });
  }
}

/** The harness of one engine, for suites that do not want `describe` per engine; call `dispose()` after. */
export function createHarness(engine: EngineName): EngineHarness & { dispose(): Promise<void> } {
  const cleanups: (() => Promise<void>)[] = [];
  const opened: Store[] = [];
  const locations = new WeakMap<Store, OpenStoreOptions>();
  let cluster: Promise<RunningPostgres> | undefined;

  async function createLocation(): Promise<OpenStoreOptions> {
    const dir = await mkdtemp(join(tmpdir(), `keyless-store-${engine}-`));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sqliteFile = join(dir, 'keyless.db');
    if (engine === 'sqlite') return { sqliteFile };
    let serverUrl = process.env.KEYLESS_TEST_PG_URL;
    if (!serverUrl) {
      // Run alone (not through scripts/run-tests.ts): one cluster for this harness.
      if (!cluster) {
        const starting = startPostgres();
        cluster = starting;
        cleanups.unshift(async () => (await starting).stop());
      }
      serverUrl = (await cluster).url;
    }
    const database = await createTestDatabase(serverUrl);
    cleanups.push(database.drop);
    return { databaseUrl: database.url, sqliteFile };
  }

  async function openAt(location: OpenStoreOptions): Promise<Store> {
    const store = await openStore(location);
    let closing: Promise<void> | undefined;
    // Closing twice is harmless, so suites may close what the harness closes again afterwards.
    const wrapped: Store = { ...store, close: () => (closing ??= store.close()) };
    locations.set(wrapped, location);
    opened.push(wrapped);
    return wrapped;
  }

  function locationOf(store: Store): OpenStoreOptions {
    const location = locations.get(store);
    if (!location) throw new Error('this store was not opened by this harness');
    return location;
  }

  return {
    engine,
    open: async () => openAt(await createLocation()),
    reopen: (store) => openAt(locationOf(store)),
    createLocation,
    locationOf,
    async dispose() {
      await Promise.allSettled(opened.map((s) => s.close()));
      // Databases are dropped before the cluster (registered first) is stopped.
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    },
  };
}
