#!/usr/bin/env node
// Entry point for `npx keyless`: runs the compiled CLI (built by `npm install` through the prepare script).
import '../dist/src/cli/main.js';
