/**
 * The token-endpoint, Graph and agent-API fuzz campaign (test/fuzz/surfaces-fuzz.ts) against a
 * server on PostgreSQL: a fifth of the SQLite run in `npm test`, all of it under `npm run stress`;
 * the refused-writes-change-nothing snapshot is taken from the PostgreSQL store.
 */
import { describeSurfacesFuzz } from './surfaces-fuzz.js';

describeSurfacesFuzz('postgres');
