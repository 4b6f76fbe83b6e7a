/** The token-endpoint, Graph and agent-API fuzz campaign (test/fuzz/surfaces-fuzz.ts) against a server on SQLite. */
import { describeSurfacesFuzz } from './surfaces-fuzz.js';

describeSurfacesFuzz('sqlite');
