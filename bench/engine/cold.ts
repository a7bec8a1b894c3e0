// The cold-run measure of `npm run bench:engine` alone: the 1000-node DAG run by GNU make and by moe,
// alternating, so each pair sees the same machine load. Prints every pair's ratio and the load average
// around it (the machine may be shared). Usage: node --import tsx bench/engine/cold.ts [repeats]
// (build first: `npm run build`). BENCH_JOBS sets -j (default 2); MOE_ARGS adds flags to `moe run`.
// BENCH_CPU=1 runs both under `perf stat` and prints the CPU time each used, every descendant process
// included: on a busy machine that is steadier than wall time, and on a quiet one with -j equal to the
// core count it is what bounds the wall time. BENCH_BASELINE=DIR adds a third command to each round,
// the `bin/moe.js` of another build (a checkout or copy with its dist/), to compare two builds under the
// same load.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDag } from './generate.js';

const root = new URL('../..', import.meta.url).pathname;
const moe = join(root, 'bin', 'moe.js');
const jobs = Number(process.env['BENCH_JOBS'] ?? 2);
const repeats = Number(process.argv[2] ?? 3);
const extra = (process.env['MOE_ARGS'] ?? '').split(' ').filter((s) => s !== '');

const cpu = process.env['BENCH_CPU'] === '1';
const baselineDir = process.env['BENCH_BASELINE'];
const baseline =
  baselineDir === undefined || baselineDir === '' ? undefined : join(baselineDir, 'bin', 'moe.js');

/** Wall seconds, and with BENCH_CPU=1 the CPU seconds of the command and all its descendants. */
function timed(cmd: string, args: readonly string[], cwd: string): { wall: number; cpu: number } {
  const stat = join(cwd, '.perf-stat');
  const [file, argv] = cpu
    ? ['perf', ['stat', '-x,', '-e', 'task-clock', '-o', stat, cmd, ...args]]
    : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  if (!cpu) return { wall, cpu: NaN };
  const line = readFileSync(stat, 'utf8')
    .split('\n')
    .find((l) => l.includes('task-clock'));
  return { wall, cpu: Number(line?.split(',')[0]) / 1000 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const load = (): string => (loadavg()[0] ?? 0).toFixed(2);

const work = mkdtempSync(join(tmpdir(), 'moe-cold-'));
try {
  const dir = join(work, 'dag1000');
  const dag = writeDag(dir, { layers: 10, width: 100, parents: 3 });
  const makes: number[] = [];
  const moes: number[] = [];
  const makeCpu: number[] = [];
  const moeCpu: number[] = [];
  const bases: number[] = [];
  const baseCpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const before = load();
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    const m = timed('make', ['-s', `-j${jobs}`, '-f', dag.makefile], dir);
    rmSync(join(dir, '.moe'), { recursive: true, force: true });
    const o = timed(process.execPath, [moe, 'run', dag.pipeline, '--jobs', String(jobs), ...extra], dir);
    let b = { wall: NaN, cpu: NaN };
    if (baseline !== undefined) {
      rmSync(join(dir, '.moe'), { recursive: true, force: true });
      b = timed(process.execPath, [baseline, 'run', dag.pipeline, '--jobs', String(jobs), ...extra], dir);
      bases.push(b.wall);
      baseCpu.push(b.cpu);
    }
    makes.push(m.wall);
    moes.push(o.wall);
    makeCpu.push(m.cpu);
    moeCpu.push(o.cpu);
    const cpus = cpu
      ? `; CPU make ${m.cpu.toFixed(2)} s, moe ${o.cpu.toFixed(2)} s, ratio ${(o.cpu / m.cpu).toFixed(2)}x`
      : '';
    const base =
      baseline === undefined
        ? ''
        : `; baseline ${b.wall.toFixed(2)} s, ratio ${(b.wall / m.wall).toFixed(2)}x` +
          (cpu ? `, CPU ${b.cpu.toFixed(2)} s, ratio ${(b.cpu / m.cpu).toFixed(2)}x` : '');
    console.log(
      `run ${r + 1}: make ${m.wall.toFixed(2)} s, moe ${o.wall.toFixed(2)} s, ratio ${(o.wall / m.wall).toFixed(2)}x${cpus}${base}, load ${before} -> ${load()}`,
    );
  }
  console.log(
    `median: make ${median(makes).toFixed(2)} s, moe ${median(moes).toFixed(2)} s, ratio ${(median(moes) / median(makes)).toFixed(2)}x (target <= 1.3x), jobs=${jobs}`,
  );
  if (baseline !== undefined) {
    console.log(
      `median baseline (${baselineDir}): ${median(bases).toFixed(2)} s, ratio ${(median(bases) / median(makes)).toFixed(2)}x` +
        (cpu
          ? `; CPU ${median(baseCpu).toFixed(2)} s, ratio ${(median(baseCpu) / median(makeCpu)).toFixed(2)}x`
          : ''),
    );
  }
  if (cpu) {
    console.log(
      `median CPU: make ${median(makeCpu).toFixed(2)} s, moe ${median(moeCpu).toFixed(2)} s, ratio ${(median(moeCpu) / median(makeCpu)).toFixed(2)}x`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
