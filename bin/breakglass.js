#!/usr/bin/env node
// The `breakglass` command: runs the compiled CLI (npm run build writes dist/).
import { runCli } from '../dist/src/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
