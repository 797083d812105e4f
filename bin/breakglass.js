#!/usr/bin/env node
// The `breakglass` command: runs the compiled CLI (npm run build writes dist/).
import { runCli } from '../dist/src/cli/main.js';

// A reader that goes away (`breakglass journal show | head`) ends the output, not in a stack trace:
// with the command's own status once it has finished, or 141 (as a shell shows SIGPIPE) when it was
// cut off part-way, so that `unseal --reveal | cmd` never looks like success if cmd left early.
let finished = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(finished ? (process.exitCode ?? 0) : 141);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
finished = true;
