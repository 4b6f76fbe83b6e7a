/**
 * The ARM fuzz campaign (test/fuzz/arm-fuzz.ts) against a server on PostgreSQL (the cluster the
 * test runner starts, KEYLESS_TEST_PG_URL; a database of its own): a fifth of the SQLite run in
 * `npm test`, all of it under `npm run stress`. The refused-writes-change-nothing snapshot is taken
 * from the PostgreSQL store.
 */
import { describeArmFuzz } from './arm-fuzz.js';

describeArmFuzz('postgres');
