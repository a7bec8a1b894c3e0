// `npm run bench:engine`: moe against GNU make on the same generated DAG, on this machine, in one script.
// Three figures, each the median of BENCH_REPEATS runs (default 3) with the load average beside it (the
// machine may be shared, and a busy one inflates wall times):
//   cold     the 1000-node DAG from scratch, moe against make -j2 (target: at most 1.3x make)
//   cached   a fully cached rerun of it, Node's start-up included (target: at most 0.3 s)
//   plan     `moe plan` of a 10,000-node pipeline the first time: no pipeline cache (target: at most 2 s)
//   memory   peak RSS of moe's process in cold runs of 1000, 5000 and 10,000 nodes (100 chains, one parent
//            per node; run once each): flat (target: 10,000 nodes at most 1.25x 1000) means moe keeps
//            nothing per node it does not need. Each run's resident set is also sampled from outside
//            (bench/engine/rss-trace.ts): once loaded, the most while its nodes run, and the growth in
//            between per node run (what a finished node leaves in memory) and from its first half to its
//            second. Beside each, the peak RSS of a peer on the same DAG: bench/engine/peer-runner.js, the
//            least a Node process needs to do the same work (it keeps a byte per node), so that moe's own
//            share (moe's peak less the peer's) can be told from what Node takes as a run grows
//   pernode  moe's own CPU (user + system of moe's process, not its commands: `process.resourceUsage()` at
//            its exit) in cold runs of the same DAG shape at 1000 and 3000 nodes (10 layers of 100 and of
//            300 nodes, so each layer's files are as large in both), alternating, plus a 10-node run:
//            the per-node cost is the slope between the two medians, the fixed cost (start-up: modules,
//            reading and building the pipeline, the workspace) the line's value at 0 nodes, and the
//            10-node run's own CPU is printed beside it as a check (target: well under 1 ms per node)
// BENCH_PARTS=cached,plan picks figures; BENCH_JOBS sets -j (default 2); BENCH_CPU=1 also reports the CPU
// time each command used (descendants included, via `perf stat`), which a busy machine disturbs less.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeDag } from './generate.js';
import type { RssTrace } from './rss-trace.js';
import { traceRun } from './rss-trace.js';

const root = new URL('../..', import.meta.url).pathname;
const moe = join(root, 'bin', 'moe.js');
const peerRunner = join(root, 'bench', 'engine', 'peer-runner.js');
const jobs = Number(process.env['BENCH_JOBS'] ?? 2);
const repeats = Number(process.env['BENCH_REPEATS'] ?? 3);
const parts = new Set((process.env['BENCH_PARTS'] ?? 'cold,cached,plan,memory,pernode').split(','));
const useCpu = process.env['BENCH_CPU'] === '1';

interface Sample {
  readonly wall: number;
  readonly cpu: number;
  /** Peak resident set of moe's own process in MB (not its commands'); NaN for other commands. */
  readonly rss: number;
  /** CPU seconds (user + system) of moe's own process, not its commands; NaN for other commands. */
  readonly own: number;
  /** The 1-minute load average just before the command. */
  readonly load: number;
}

/**
 * Loaded into moe's process: writes its peak RSS (KB) and its own CPU time (user and system, µs) to the
 * file MOE_BENCH_RSS names when it exits.
 */
const rssHook =
  'data:text/javascript,import{appendFileSync}from"node:fs";process.on("exit",()=>{' +
  'const u=process.resourceUsage();' +
  'appendFileSync(process.env.MOE_BENCH_RSS,`${u.maxRSS} ${u.userCPUTime+u.systemCPUTime}\\n`)})';

function timed(cmd: string, args: readonly string[], cwd: string): Sample {
  const stat = join(cwd, '.perf-stat');
  const rssFile = join(cwd, '.peak-rss');
  const isMoe = cmd === process.execPath;
  const all = isMoe ? ['--import', rssHook, ...args] : args;
  const [file, argv] = useCpu
    ? ['perf', ['stat', '-x,', '-e', 'task-clock', '-o', stat, cmd, ...all]]
    : [cmd, all];
  const load = loadavg()[0] ?? 0;
  const t0 = process.hrtime.bigint();
  rmSync(rssFile, { force: true });
  const r = spawnSync(file, argv, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, MOE_BENCH_RSS: rssFile },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [kb, us] = isMoe ? readFileSync(rssFile, 'utf8').trim().split(' ').map(Number) : [NaN, NaN];
  const rss = (kb ?? NaN) / 1024;
  const own = (us ?? NaN) / 1e6;
  if (!useCpu) return { wall, cpu: NaN, load, rss, own };
  const line = readFileSync(stat, 'utf8')
    .split('\n')
    .find((l) => l.includes('task-clock'));
  return { wall, cpu: Number(line?.split(',')[0]) / 1000, load, rss, own };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/** `0.412 s (load 1.2) [0.40 0.41 0.45]`, with CPU seconds when measured. */
function figure(samples: readonly Sample[]): string {
  const wall = `${median(samples.map((s) => s.wall)).toFixed(3)} s`;
  const cpu = useCpu ? `, CPU ${median(samples.map((s) => s.cpu)).toFixed(3)} s` : '';
  const load = `load ${median(samples.map((s) => s.load)).toFixed(2)}`;
  return `${wall}${cpu} (${load}) [${samples.map((s) => s.wall.toFixed(3)).join(' ')}]`;
}

/** `met` or `NOT met`, and how far from the target the measure is. */
function verdict(value: number, target: number, unit: string): string {
  const status = value <= target ? 'met' : 'NOT met';
  return `target <= ${target}${unit}: ${status} (${(value / target).toFixed(2)} of the target)`;
}

const work = mkdtempSync(join(tmpdir(), 'moe-bench-'));
const summary: string[] = [];
try {
  console.log(
    `machine: ${cpus().length} cores, load average ${(loadavg()[0] ?? 0).toFixed(2)} at the start; jobs=${jobs}, median of ${repeats}${useCpu ? ', CPU by perf stat' : ''}`,
  );
  const dir = join(work, 'dag1000');
  const dag = writeDag(dir, { layers: 10, width: 100, parents: 3 });
  const run = (): Sample => timed(process.execPath, [moe, 'run', dag.pipeline, '--jobs', String(jobs)], dir);

  if (parts.has('cold')) {
    const make: Sample[] = [];
    const cold: Sample[] = [];
    for (let r = 0; r < repeats; r++) {
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      make.push(timed('make', ['-s', `-j${jobs}`, '-f', dag.makefile], dir));
      rmSync(join(dir, '.moe'), { recursive: true, force: true });
      cold.push(run());
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
    const ratio = median(cold.map((s) => s.wall)) / median(make.map((s) => s.wall));
    console.log(`make -j${jobs} cold, 1000 nodes:         ${figure(make)}`);
    console.log(`moe run --jobs ${jobs} cold, 1000 nodes:  ${figure(cold)}`);
    // moe's own process alone: what it spends per node besides the commands (which make runs too).
    const own = median(cold.map((s) => s.own));
    console.log(
      `moe's own CPU, cold run:              ${own.toFixed(3)} s (${own.toFixed(2)} ms per node, start-up included)`,
    );
    summary.push(`cold run moe/make:       ${ratio.toFixed(2)}x   ${verdict(ratio, 1.3, 'x')}`);
  }

  if (parts.has('cached')) {
    if (!parts.has('cold')) run();
    run(); // the first rerun writes the evaluation memo; the ones measured find everything in place
    const cached: Sample[] = [];
    const noop: Sample[] = [];
    for (let r = 0; r < repeats; r++) {
      cached.push(run());
      if (parts.has('cold')) noop.push(timed('make', ['-s', `-j${jobs}`, '-f', dag.makefile], dir));
    }
    const wall = median(cached.map((s) => s.wall));
    console.log(`moe cached rerun, 1000 nodes:         ${figure(cached)}`);
    if (noop.length > 0) console.log(`make no-op rerun:                     ${figure(noop)}`);
    summary.push(`cached rerun:            ${wall.toFixed(3)} s   ${verdict(wall, 0.3, ' s')}`);
  }

  if (parts.has('plan')) {
    const big = writeDag(join(work, 'dag10000'), { layers: 100, width: 100, parents: 3 });
    const bigDir = join(work, 'dag10000');
    const plan = (): Sample => timed(process.execPath, [moe, 'plan', big.pipeline, '--json'], bigDir);
    const first: Sample[] = [];
    const again: Sample[] = [];
    for (let r = 0; r < repeats; r++) {
      // The first time: no loaded-pipeline cache and no evaluation memo.
      rmSync(join(bigDir, '.moe', 'cache'), { recursive: true, force: true });
      first.push(plan());
      again.push(plan());
    }
    const wall = median(first.map((s) => s.wall));
    console.log(`moe plan, 10,000 nodes, first time:   ${figure(first)}`);
    console.log(`moe plan, 10,000 nodes, unchanged:    ${figure(again)}`);
    summary.push(`plan 10,000 first time:  ${wall.toFixed(3)} s   ${verdict(wall, 2, ' s')}`);
  }
  if (parts.has('memory')) {
    // One parent per node: each file is as long as its parent's, where three parents would triple the
    // size per layer (a hundred layers of that would not fit on any disk).
    const measure = async (layers: number): Promise<RssTrace & { peak: number; peer: number }> => {
      const chains = writeDag(join(work, `chains${layers}`), { layers, width: 100, parents: 1 });
      const cwd = dirname(chains.pipeline);
      const rssFile = join(cwd, '.peak-rss');
      const args = ['--import', rssHook, moe, 'run', chains.pipeline, '--jobs', String(jobs)];
      const trace = await traceRun(args, cwd, layers * 100, { ...process.env, MOE_BENCH_RSS: rssFile });
      const peak = Number(readFileSync(rssFile, 'utf8').trim().split(' ')[0]) / 1024;
      const peer = timed(process.execPath, [peerRunner, chains.nodeList, String(jobs)], cwd).rss;
      rmSync(cwd, { recursive: true, force: true });
      return { ...trace, peak, peer };
    };
    const sizes = [10, 50, 100];
    const traces: (RssTrace & { peak: number; peer: number })[] = [];
    for (const layers of sizes) traces.push(await measure(layers));
    for (const [i, t] of traces.entries()) {
      const n = (sizes[i] ?? 0) * 100;
      const label = `moe run peak RSS, ${n.toLocaleString('en')} nodes:`.padEnd(38);
      const own = t.peak - t.peer;
      console.log(
        `${label}${t.peak.toFixed(0)} MB; the peer ${t.peer.toFixed(0)} MB, moe beyond it ${own.toFixed(1)} MB`,
      );
      // Flat while it runs: what a finished node leaves in memory (its record is on disk already).
      const grew = t.running - t.loaded;
      const late = t.secondHalf - t.firstHalf;
      console.log(
        `  loaded ${t.loaded.toFixed(1)} MB, running max ${t.running.toFixed(1)} MB: +${grew.toFixed(1)} MB over ${t.nodes} nodes run (${((grew * 1024) / t.nodes).toFixed(2)} KB a node); second half against first +${late.toFixed(1)} MB (${((late * 1024) / (t.nodes / 2)).toFixed(2)} KB a node); ${t.samples} samples`,
      );
    }
    const small = traces[0]?.peak ?? NaN;
    const large = traces[2]?.peak ?? NaN;
    const big = traces[2];
    const peerRatio = (traces[2]?.peer ?? NaN) / (traces[0]?.peer ?? NaN);
    const beyond = (t: (typeof traces)[number] | undefined): number => (t ? t.peak - t.peer : NaN);
    // What moe adds per node beyond the peer, from 1000 to 10,000 nodes.
    const perNode = ((beyond(traces[2]) - beyond(traces[0])) * 1024) / 9000;
    // Flat: ten times the nodes within a quarter more memory.
    summary.push(
      `peak RSS 10,000/1000:    ${(large / small).toFixed(2)}x   ${verdict(large / small, 1.25, 'x')} (${large.toFixed(0)} MB against ${small.toFixed(0)} MB)`,
    );
    summary.push(
      `peer's peak RSS 10,000/1000: ${peerRatio.toFixed(2)}x (a Node runner keeping a byte per node); moe beyond the peer ${beyond(traces[0]).toFixed(1)} -> ${beyond(traces[2]).toFixed(1)} MB, ${perNode.toFixed(2)} KB a node`,
    );
    if (big)
      summary.push(
        `RSS growth while 10,000 nodes run: ${(big.running - big.loaded).toFixed(1)} MB (${(((big.running - big.loaded) * 1024) / big.nodes).toFixed(2)} KB a node)`,
      );
  }
  if (parts.has('pernode')) {
    // The same shape wider: a layer's files are as large at 3000 nodes as at 1000.
    const shape = (width: number): { dir: string; pipeline: string } => {
      const d = join(work, `own${width}`);
      return { dir: d, pipeline: writeDag(d, { layers: 10, width, parents: 3 }).pipeline };
    };
    const sizes = [
      { nodes: 10, ...shape(1) },
      { nodes: 1000, ...shape(100) },
      { nodes: 3000, ...shape(300) },
    ];
    const own = sizes.map(() => [] as number[]);
    for (let r = 0; r < repeats; r++) {
      sizes.forEach((s, i) => {
        rmSync(join(s.dir, '.moe'), { recursive: true, force: true });
        own[i]?.push(timed(process.execPath, [moe, 'run', s.pipeline, '--jobs', String(jobs)], s.dir).own);
      });
      rmSync(join(sizes[2]?.dir ?? '', '.moe'), { recursive: true, force: true }); // ~45 MB of outputs
    }
    const [tiny, small, large] = own.map((xs) => median(xs) * 1000);
    const perNode = ((large ?? NaN) - (small ?? NaN)) / 2000;
    const fixed = (small ?? NaN) - 1000 * perNode;
    for (const [i, s] of sizes.entries())
      console.log(
        `moe's own CPU, cold, ${String(s.nodes).padEnd(4)} nodes:      ${((own[i] ?? []).length > 0 ? median(own[i] ?? []) : NaN).toFixed(3)} s [${(own[i] ?? []).map((x) => x.toFixed(3)).join(' ')}]`,
      );
    console.log(
      `moe's own CPU, fixed + per node:      ${fixed.toFixed(0)} ms + ${perNode.toFixed(3)} ms per node (10-node run: ${(tiny ?? NaN).toFixed(0)} ms)`,
    );
    summary.push(
      `own CPU per node:        ${perNode.toFixed(3)} ms   ${verdict(perNode, 1, ' ms')} (fixed ${fixed.toFixed(0)} ms)`,
    );
  }
  console.log(`\n${summary.join('\n')}`);
  console.log(`load average at the end: ${(loadavg()[0] ?? 0).toFixed(2)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
