#!/usr/bin/env node
/** Entry point of the `raqib` binary: the process's streams and environment, handed to dispatch. */
import './threadpool.js';
import { main } from './cli/dispatch.js';
import type { Io } from './cli/common.js';

const io: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
    // A daemon's open handles are closed by stop(); anything left must not keep a finished command alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`raqib: internal error: ${String(err)}\n`);
    process.exit(1);
  },
);
