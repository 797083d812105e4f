#!/usr/bin/env node
// The `breakglass` command: runs the compiled CLI (npm run build writes dist/).
import { runCli } from '../dist/src/cli/main.js';

// A reader that goes away (`breakglass journal show | head`) ends the output, not in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
