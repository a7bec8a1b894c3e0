// @ts-check
// The peer of the memory figures in `npm run bench:engine`: the least a Node process needs to run the
// benchmark's DAG as moe does, so that what moe keeps beyond it can be told from what Node itself takes.
// It holds the node list (id, command, parents) and a byte per node, and for each node makes its folder,
// runs its command with `sh -c` (at most JOBS at once, a node once its parents are done) and appends a
// record line with fsync; nothing else is kept per node. Plain JavaScript, so that no compiler or loader
// adds to its memory. Usage (in the DAG's folder): node peer-runner.js nodes.json JOBS
import { spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const [listFile = 'nodes.json', jobsArg = '2'] = process.argv.slice(2);
/** @type {[string, string, number[]][]} */
const nodes = JSON.parse(readFileSync(listFile, 'utf8'));
const jobs = Number(jobsArg);
const out = 'peer';
mkdirSync(out, { recursive: true });
const records = openSync(join(out, 'records.jsonl'), 'a');
/** 0: waiting, 1: running, 2: done. */
const state = new Uint8Array(nodes.length);
let next = 0;
let running = 0;
let failed = false;

/** @param {number} i */
const ready = (i) => (nodes[i]?.[2] ?? []).every((p) => state[p] === 2);

/** @param {number} i */
function start(i) {
  const [id, command] = nodes[i] ?? ['', ''];
  const dir = join(out, id);
  mkdirSync(dir, { recursive: true });
  const began = Date.now();
  state[i] = 1;
  running += 1;
  const child = spawn('/bin/sh', ['-c', command], {
    env: { ...process.env, MOE_OUT: dir },
    stdio: 'ignore',
  });
  child.on('close', (code) => {
    running -= 1;
    if (code !== 0) {
      failed = true;
      process.exitCode = 1;
      return;
    }
    const finishedAt = new Date().toISOString();
    writeSync(records, `${JSON.stringify({ node: id, finishedAt, durationMs: Date.now() - began })}\n`);
    fsyncSync(records);
    state[i] = 2;
    pump();
  });
}

/** Starts nodes in list order while a slot is free and the next node's parents are done. */
function pump() {
  while (!failed && running < jobs && next < nodes.length && ready(next)) start(next++);
  if (running === 0 && (failed || next === nodes.length)) closeSync(records);
}

pump();
