/** The ARM fuzz campaign (test/fuzz/arm-fuzz.ts) against a server on SQLite. */
import { describeArmFuzz } from './arm-fuzz.js';

describeArmFuzz('sqlite');
