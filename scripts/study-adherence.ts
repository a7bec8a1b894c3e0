// A study harness for the tiny pipeline's quality: runs a pipeline (pipelines/tiny.yaml by default) from
// the TypeScript sources with --param overrides, then reads evaluate's results and re-scores compose's
// images with the synthetic-shapes scorer to print what matters: the share of held-out images where all
// three checks hold (shape, shape colour, background), each check's rate, the evaluation losses per band,
// wall time, CPU time and the load average. Not a test; run it with tsx:
//   node --import tsx scripts/study-adherence.ts [--pipeline P] [--workspace DIR] [--jobs N]
//        [--label TEXT] [--log FILE.jsonl] [--min-adherence X] [--param k=v ...]
// With --min-adherence it exits with status 1 when the composed images' all-three share is below X, or
// when the composed pair is not best on the full-range evaluation loss: the check to run (per seed) after
// changing tiny.yaml's settings, the plugin or the trainer.
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runCommand } from '../src/cli/actions/run.js';
import { Store } from '../src/engine/store.js';
import { workspaceAt } from '../src/engine/workspace.js';
import { readRgb } from '../src/imaging/index.js';
import { scoreAdherence } from '../plugins/synthetic-shapes/score.js';

const USAGE = `usage: node --import tsx scripts/study-adherence.ts [--pipeline P] [--workspace DIR] [--jobs N]
       [--label TEXT] [--log FILE.jsonl] [--min-adherence X] [--param k=v ...]
`;

/** Prints the usage (after `problem`, on stderr, when there is one) and exits with `code`. */
function usage(code: number, problem?: string): never {
  if (problem === undefined) process.stdout.write(USAGE);
  else process.stderr.write(problem + USAGE);
  process.exit(code);
}

interface Args {
  pipeline: string;
  workspace: string;
  jobs: number | undefined;
  label: string;
  log: string | undefined;
  minAdherence: number | undefined;
  params: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
  const a: Args = {
    pipeline: join(root, 'pipelines', 'tiny.yaml'),
    workspace: '/tmp/study-ws',
    jobs: undefined,
    label: '',
    log: undefined,
    minAdherence: undefined,
    params: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--pipeline':
        a.pipeline = resolve(v);
        break;
      case '--workspace':
        a.workspace = resolve(v);
        break;
      case '--jobs':
        a.jobs = Number(v);
        break;
      case '--label':
        a.label = v;
        break;
      case '--log':
        a.log = resolve(v);
        break;
      case '--min-adherence':
        a.minAdherence = Number(v);
        break;
      case '--param':
        a.params.push(v);
        break;
      case '--help':
        return usage(0);
      default:
        return usage(2, `study-adherence: unknown argument ${argv[i]}\n`);
    }
    i++;
  }
  return a;
}

interface JournalEvent {
  readonly type: string;
  readonly node?: string;
  readonly fingerprint?: string;
  readonly durationMs?: number;
}

/** Output folders of the run's nodes (done or cached), by node id, from the journal and the records. */
function nodeOutputs(
  workspace: string,
  journal: string,
): Map<string, { dir: string; ms: number | undefined }> {
  const out = new Map<string, { dir: string; ms: number | undefined }>();
  const store = new Store(workspaceAt(workspace));
  for (const line of readFileSync(journal, 'utf8').split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as JournalEvent;
    if ((e.type !== 'node-done' && e.type !== 'node-cached') || !e.node || !e.fingerprint) continue;
    const record = store.readRecord(e.fingerprint);
    if (!record) throw new Error(`no record of ${e.node} (${e.fingerprint}) in ${workspace}`);
    out.set(e.node, {
      dir: join(workspace, 'store', record.outputs.digest),
      ms: e.type === 'node-done' ? e.durationMs : undefined,
    });
  }
  return out;
}

interface IndexImage {
  readonly prompt: string;
  readonly stage: string;
  readonly file: string;
}

async function rescore(composeDir: string): Promise<Record<string, Record<string, number>>> {
  const index = JSON.parse(readFileSync(join(composeDir, 'index.json'), 'utf8')) as { images: IndexImage[] };
  const per: Record<string, { n: number; all: number; shape: number; colour: number; background: number }> =
    {};
  for (const img of index.images) {
    const a = scoreAdherence(await readRgb(join(composeDir, 'images', img.file)), img.prompt);
    const s = (per[img.stage] ??= { n: 0, all: 0, shape: 0, colour: 0, background: 0 });
    s.n++;
    s.all += a.score === 1 ? 1 : 0;
    s.shape += a.shapeOk ? 1 : 0;
    s.colour += a.colorOk ? 1 : 0;
    s.background += a.backgroundOk ? 1 : 0;
  }
  const r = (v: number, n: number) => Math.round((1000 * v) / n) / 1000;
  return Object.fromEntries(
    Object.entries(per).map(([stage, s]) => [
      stage,
      {
        images: s.n,
        all_three: r(s.all, s.n),
        shape: r(s.shape, s.n),
        colour: r(s.colour, s.n),
        background: r(s.background, s.n),
      },
    ]),
  );
}

const args = parseArgs(process.argv.slice(2));
const load0 = loadavg()[0] ?? 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await runCommand(
  args.pipeline,
  {
    param: args.params,
    sweep: [],
    workspace: args.workspace,
    force: [],
    only: [],
    from: [],
    jobs: args.jobs,
    'keep-going': false,
    'dry-run': false,
    wait: 0,
  },
  false,
);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
// The run just made is the newest journal in the workspace (journal names start with a UTC timestamp).
const runs = join(args.workspace, 'runs');
const journal = readdirSync(runs)
  .filter((n) => n.endsWith('.jsonl'))
  .sort()
  .at(-1);
if (journal === undefined) throw new Error(`no run journal in ${runs}`);
const ended = readFileSync(join(runs, journal), 'utf8')
  .split('\n')
  .filter((l) => l.includes('"run-end"'))
  .map((l) => JSON.parse(l) as { status: string })[0];
const outputs = nodeOutputs(args.workspace, join(runs, journal));
const evaluate = outputs.get('evaluate');
const compose = outputs.get('compose');
const results = evaluate
  ? (JSON.parse(readFileSync(join(evaluate.dir, 'results.json'), 'utf8')) as {
      loss: Record<string, Record<string, number>>;
    })
  : undefined;
const losses = results
  ? Object.fromEntries(
      Object.entries(results.loss).map(([who, l]) => [
        who,
        {
          base_band: Number(l.base_band?.toFixed(4)),
          refiner_band: Number(l.refiner_band?.toFixed(4)),
          full: Number(l.full?.toFixed(4)),
        },
      ]),
    )
  : undefined;
const line = {
  label: args.label,
  params: args.params,
  status: ended?.status ?? 'unfinished',
  wall_s: Math.round(wall * 10) / 10,
  cpu_s: Math.round((cpu.user + cpu.system) / 1e5) / 10,
  load_start: Math.round(load0 * 100) / 100,
  load_end: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  node_s: Object.fromEntries(
    [...outputs].map(([node, o]) => [node, o.ms === undefined ? 'cached' : Math.round(o.ms / 100) / 10]),
  ),
  adherence: compose ? await rescore(compose.dir) : undefined,
  loss: losses,
};
process.stdout.write(JSON.stringify(line, null, 1) + '\n');
if (args.log) appendFileSync(args.log, JSON.stringify(line) + '\n');
if (args.minAdherence !== undefined) {
  const composed = line.adherence?.composed?.all_three ?? 0;
  const full = losses ?? {};
  const best = Object.entries(full).every(
    ([who, l]) => who === 'composed' || (full.composed?.full ?? Infinity) < l.full,
  );
  const failures = [
    ...(composed < args.minAdherence ? [`composed adherence ${composed} < ${args.minAdherence}`] : []),
    ...(best ? [] : ['the composed pair is not best on the full-range evaluation loss']),
  ];
  if (failures.length > 0) {
    process.stderr.write(`study-adherence: ${failures.join('; ')}\n`);
    process.exitCode = 1;
  }
}
