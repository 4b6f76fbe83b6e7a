/** The data-plane fuzz campaign (test/fuzz/dataplanes-fuzz.ts) against a server on SQLite. */
import { describeDataPlanesFuzz } from './dataplanes-fuzz.js';

describeDataPlanesFuzz('sqlite');
