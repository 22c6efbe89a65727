#!/usr/bin/env node
// The `carl` executable: a thin shell over runCli (see cli/main.ts) that sets the process exit code.
import { EXIT_CODES, runCli } from './cli/main';
import { guardBrokenPipe } from './cli/options';

// `carl embed … | head`: once the reader is gone, stop quietly like a Unix tool (exit 141), no stack trace.
guardBrokenPipe([process.stdout, process.stderr], (code) => process.exit(code));

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`carl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT_CODES.internal;
  },
);
