#!/usr/bin/env node
// The moe command line. Commands live in dist/cli (built from src/cli by `npm install`). `run`, `plan` and
// `validate` first try a fast path that parses their flags without loading oclif, whose start-up is a
// large share of a cached rerun; it declines `--help`, every other command and any command line it does
// not fully understand (flag errors included), and oclif then handles it as always.
import { setFlagsFromString } from 'node:v8';

// V8 optimises a function after it has run a while (its interrupt budget, counted in bytecodes); in a
// run of many small nodes that is hundreds of functions each run a few thousand times, and their
// optimising compiles cost a quarter of moe's CPU. Eight times the budget: code that stays hot, as in
// training, is still optimised, a fraction of a second later. Set before moe's modules load.
setFlagsFromString('--interrupt-budget=540672');
// A reader that went away (`moe run … | head`) or a full disk under a redirected output (`moe run … >
// log`) must not end moe with a stack trace and stop its run half-way: what it would still print is
// dropped (a stream that failed drops later writes), and a run goes on to its end and exit status (its
// journal under the workspace keeps every event). A failure other than a closed pipe is said once on
// stderr, when stderr is not the stream that failed.
let toldStdout = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE' || stream !== process.stdout || toldStdout) return;
    toldStdout = true;
    process.stderr.write(
      `moe: could not write to stdout (${e.message}); the rest of its output is dropped\n`,
    );
  });
}
const { runFast } = await import('../dist/cli/fast/main.js');

if (await runFast(process.argv.slice(2))) {
  // The command is done: exit now instead of letting Node tear its heap down (a tenth of a cached
  // rerun's CPU), unless stdout or stderr still holds output a pipe has not taken yet.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
