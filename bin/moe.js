#!/usr/bin/env node
// The moe command line. Commands live in dist/cli (built from src/cli by `npm install`). `run`, `plan` and
// `validate` first try a fast path that parses their flags without loading oclif, whose start-up is a
// large share of a cached rerun; it declines `--help`, every other command and any command line it does
// not fully understand (flag errors included), and oclif then handles it as always.
import { runFast } from '../dist/cli/fast/main.js';

if (!(await runFast(process.argv.slice(2)))) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
