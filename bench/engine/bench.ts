// `npm run bench:engine`: moe against GNU make on the same generated DAG, on this machine, in one script.
// Prints the cold-run ratio (target ≤ 1.3× make -j2), the fully cached rerun's wall time including Node's
// start-up (target ≤ 0.5 s), and validate+plan time for a 10,000-node pipeline (target ≤ 2 s).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDag } from './generate.js';

const root = new URL('../..', import.meta.url).pathname;
const moe = join(root, 'bin', 'moe.js');
const jobs = Number(process.env['BENCH_JOBS'] ?? 2);
const repeats = Number(process.env['BENCH_REPEATS'] ?? 3);

function timed(cmd: string, args: readonly string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return s;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const fmt = (s: number): string => `${s.toFixed(3)} s`;

const work = mkdtempSync(join(tmpdir(), 'moe-bench-'));
const loadBefore = loadavg()[0] ?? 0;
try {
  const dag = writeDag(join(work, 'dag1000'), { layers: 10, width: 100, parents: 3 });
  const dir = join(work, 'dag1000');

  const makeCold: number[] = [];
  const moeCold: number[] = [];
  for (let r = 0; r < repeats; r++) {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    makeCold.push(timed('make', ['-s', `-j${jobs}`, '-f', dag.makefile], dir));
    rmSync(join(dir, '.moe'), { recursive: true, force: true });
    moeCold.push(timed(process.execPath, [moe, 'run', dag.pipeline, '--jobs', String(jobs)], dir));
  }
  // Same bytes from both: the last layer's files match.
  const last = 'n9_0';
  const indexDir = join(dir, '.moe', 'index');
  const index = JSON.parse(readFileSync(join(indexDir, readdirSync(indexDir)[0] ?? ''), 'utf8')) as {
    nodes: Record<string, { outputs: { digest: string } }>;
  };
  const digest = index.nodes[last]?.outputs.digest ?? '';
  const same =
    readFileSync(join(dir, '.moe', 'store', digest, 'out.txt'), 'utf8') ===
    readFileSync(join(dir, 'out', `${last}.txt`), 'utf8');
  if (!same) throw new Error(`moe and make disagree on ${last}`);

  const cached: number[] = [];
  const makeNoop: number[] = [];
  for (let r = 0; r < repeats + 2; r++) {
    cached.push(timed(process.execPath, [moe, 'run', dag.pipeline, '--jobs', String(jobs)], dir));
    makeNoop.push(timed('make', ['-s', `-j${jobs}`, '-f', dag.makefile], dir));
  }

  const big = writeDag(join(work, 'dag10000'), { layers: 100, width: 100, parents: 3 });
  // Cold: the file is parsed and validated every time (the loaded-pipeline cache is cleared first).
  const plan: number[] = [];
  const planCached: number[] = [];
  for (let r = 0; r < repeats; r++) {
    rmSync(join(work, 'dag10000', '.moe', 'cache', 'pipelines'), { recursive: true, force: true });
    plan.push(timed(process.execPath, [moe, 'plan', big.pipeline, '--json'], join(work, 'dag10000')));
    planCached.push(timed(process.execPath, [moe, 'plan', big.pipeline, '--json'], join(work, 'dag10000')));
  }

  const ratio = median(moeCold) / median(makeCold);
  console.log(
    `machine: ${cpus().length} cores, load average ${loadBefore.toFixed(1)} before / ${(loadavg()[0] ?? 0).toFixed(1)} after (wall times; a busy machine inflates them), jobs=${jobs}, median of ${repeats}`,
  );
  console.log(`outputs: moe's ${last} is byte-identical to make's`);
  console.log(
    `make -j${jobs} cold (1000 nodes):      ${fmt(median(makeCold))}   [${makeCold.map(fmt).join(', ')}]`,
  );
  console.log(
    `moe run --jobs ${jobs} cold (1000 nodes): ${fmt(median(moeCold))}   [${moeCold.map(fmt).join(', ')}]`,
  );
  console.log(`cold ratio moe/make:               ${ratio.toFixed(2)}x  (target <= 1.3x)`);
  console.log(
    `moe cached rerun (1000 nodes):     ${fmt(median(cached))}   (target <= 0.5 s)   [${cached.map(fmt).join(', ')}]`,
  );
  console.log(`make no-op rerun:                  ${fmt(median(makeNoop))}`);
  console.log(
    `moe plan (10,000 nodes):           ${fmt(median(plan))}   (target <= 2 s)   [${plan.map(fmt).join(', ')}]`,
  );
  console.log(
    `moe plan again (10,000, unchanged): ${fmt(median(planCached))}   [${planCached.map(fmt).join(', ')}]`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
