// Estimates the memory of training a UNet with moe's built-in backend from its diffusers config alone:
// the trainer's fused forward + backward graph is built over zero-byte placeholder weights and the
// activations are counted from its inferred shapes (src/train/expert/memory.ts): the forward tensors the
// backward reads, and the peak of live intermediates in graph order. Also prints the state the trainer
// holds per parameter (docs/train-expert.md). Not a test; run it with tsx:
//   node --import tsx scripts/estimate-training-memory.ts [--config unet/config.json | --tiny]
//        [--batch N] [--latent H[xW]] [--tokens N] [--measure]
// --measure (only sensible for small graphs) also runs the graph once in onnxruntime on one thread with
// the trainer's session options and prints the process's resident memory before and after, the
// measurement the estimate is checked against.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseUNetConfig } from '../src/models/unet/index.js';
import type { UNetSpec } from '../src/models/unet/index.js';
import { TINY_UNET_CONFIG } from '../src/models/tiny/configs.js';
import { estimateTrainingMemory } from '../src/train/expert/memory.js';
import type { TrainingShape } from '../src/train/expert/memory.js';
import { measureTrainingRun } from '../src/train/expert/memory-measure.js';

interface Args {
  config: string | undefined;
  shape: TrainingShape;
  measure: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let config: string | undefined;
  let batch = 1;
  let height = 128;
  let width = 128;
  let tokens = 77;
  let measure = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--config') config = next();
    else if (a === '--tiny') config = undefined;
    else if (a === '--batch') batch = Number(next());
    else if (a === '--tokens') tokens = Number(next());
    else if (a === '--latent') {
      const [h, w] = next().split('x');
      height = Number(h);
      width = Number(w ?? h);
    } else if (a === '--measure') measure = true;
    else throw new Error(`unknown argument ${a}`);
  }
  for (const [k, v] of Object.entries({ batch, height, width, tokens })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive whole number`);
  }
  return { config, shape: { batch, height, width, sequenceLength: tokens }, measure };
}

const MB = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
const GB = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const raw: unknown = args.config ? JSON.parse(readFileSync(args.config, 'utf8')) : TINY_UNET_CONFIG;
  const parsed = parseUNetConfig(raw);
  if (!parsed.ok) throw new Error(`${args.config ?? 'tiny config'}: ${parsed.error.message}`);
  const spec: UNetSpec = parsed.value;
  const s = args.shape;
  const m = estimateTrainingMemory(spec, s);
  const a = m.activations;
  console.log(
    `${args.config ?? 'tiny family UNet'}: ${m.parameters.toLocaleString('en')} parameters, ` +
      `batch ${s.batch}, ${s.height}×${s.width} latents, ${s.sequenceLength} tokens; ` +
      `training graph ${m.nodes} nodes`,
  );
  console.log(
    `  kept for the backward: ${a.savedValues} tensors, ${GB(a.savedBytes)} (${MB(a.savedBytes)}); ` +
      `largest ${a.largestSaved?.name ?? '-'} ${MB(a.largestSaved?.bytes ?? 0)}`,
  );
  console.log(
    `  peak of live intermediates in graph order: ${GB(a.peakBytes)} (${MB(a.peakBytes)}) after ${a.peakAfter}`,
  );
  const maps = a.savedByOp.get('Softmax') ?? 0;
  console.log(`  of which attention maps (Softmax outputs): ${GB(maps)}`);
  for (const [label, c] of [
    ['checkpointed as diffusers does (resnets, transformer blocks)', m.checkpointed],
    ['the same with fused attention (no maps kept)', m.checkpointedFusedAttention],
  ] as const) {
    console.log(
      `  ${label}: ${GB(c.keptBytes)} kept + ${GB(c.largestUnitBytes)} for the largest of ` +
        `${c.units} units recomputed (${c.largestUnit}) = ${GB(c.keptBytes + c.largestUnitBytes)}`,
    );
  }
  const byModule = [...a.savedByModule].sort((x, y) => y[1] - x[1]).slice(0, 8);
  console.log(`  kept by module: ${byModule.map(([k, v]) => `${k} ${GB(v)}`).join(', ')}`);
  console.log(
    `  trainer state outside onnxruntime: ${GB(m.parameters * 20)} (weights, gradients, two AdamW ` +
      `moments, the returned gradient copy), ${GB(m.parameters * 24)} with an EMA`,
  );
  if (args.measure) {
    const r = await measureTrainingRun(spec, s);
    const peak = r.firstRunPeakBytes !== undefined ? ` (peak +${MB(r.firstRunPeakBytes)})` : '';
    console.log(
      `  measured (onnxruntime, 1 thread): resident +${MB(r.sessionBytes)} for the session, ` +
        `+${MB(r.firstRunBytes)} over the first run${peak}, +${MB(r.secondRunBytes)} over a second; ` +
        `outputs handed back ${MB(r.outputBytes)}; ` +
        `first run less outputs / counted peak ${((r.firstRunBytes - r.outputBytes) / a.peakBytes).toFixed(2)}; ` +
        `load ${loadavg()[0]?.toFixed(2)}`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
