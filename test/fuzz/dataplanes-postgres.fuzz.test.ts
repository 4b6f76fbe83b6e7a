/**
 * The data-plane fuzz campaign (test/fuzz/dataplanes-fuzz.ts) against a server on PostgreSQL (blob
 * contents and vault objects in the shared store): a fifth of the SQLite run in `npm test`, all of it
 * under `npm run stress`.
 */
import { describeDataPlanesFuzz } from './dataplanes-fuzz.js';

describeDataPlanesFuzz('postgres');
