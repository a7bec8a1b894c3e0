// train.expert's outputs → loss curves, the experts' settings side by side, and training timings.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type {
  ExpertLosses,
  InlineImage,
  LossPoint,
  Scalar,
  SettingsTable,
  Timing,
  Tone,
  ValidationImages,
} from '../../html/index.js';
import { isObject, numberOr, readJson, readJsonLines, type Json, type Notes } from './read.js';
import type { ExpertFiles } from './schema.js';
import { TRAINING_TIMING_KEYS } from '../../train/expert/record.js';

/** Settings the two experts must share (the workflow's validation rules check the same). */
const MUST_AGREE = [
  'objective',
  'strength',
  'boundary',
  'shift',
  'prediction_type',
  'zero_snr',
  'timestep_spacing',
  'noise_schedule',
];

/** The settings shown, in this order; others in training.json follow alphabetically. */
const ORDER = [
  'role',
  'backend',
  'objective',
  'strength',
  'boundary',
  'shift',
  'timestep_density',
  'timestep_range',
  'prediction_type',
  'zero_snr',
  'timestep_spacing',
  'noise_schedule',
  'learning_rate',
  'lr_scheduler',
  'lr_warmup_steps',
  'batch_size',
  'gradient_accumulation',
  'steps',
  'seed',
];

/**
 * Settings of a diffusion schedule, which a flow-matching expert does not use (it trains on σ from its
 * shift and density): training.json may still record them, but the report leaves them out.
 */
const DIFFUSION_ONLY = new Set(['zero_snr', 'timestep_spacing', 'noise_schedule']);

/** Timing fields and the validation losses (their own table), kept out of the settings table. */
const NOT_SETTINGS = new Set([...TRAINING_TIMING_KEYS, 'validation_losses']);

export interface ExpertParts {
  readonly losses: ExpertLosses[];
  readonly settings: SettingsTable | undefined;
  readonly timings: Timing[];
  readonly validation: ValidationImages[];
}

export function toneOf(label: string, role?: string): Tone {
  const s = `${role ?? ''} ${label}`.toLowerCase();
  if (/pair|compos|moe|→|->/.test(s)) return 'pair';
  if (s.includes('refiner')) return 'refiner';
  if (s.includes('base')) return 'base';
  return 'other';
}

/** A settings value as one cell: ranges as "lo–hi", small objects as "k=v, …". */
export function cell(v: Json | undefined): Scalar {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    if (v.length === 2 && v.every((x) => typeof x === 'number')) return `${String(v[0])}–${String(v[1])}`;
    return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  }
  return Object.entries(v)
    .map(([k, x]) => `${k}=${typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x)}`)
    .join(', ');
}

function lossPoints(lines: readonly Json[]): LossPoint[] {
  const pts: LossPoint[] = [];
  for (const l of lines) {
    if (!isObject(l)) continue;
    const step = numberOr(l['step']);
    const loss = numberOr(l['loss']);
    if (step !== undefined && loss !== undefined) pts.push({ step, loss });
  }
  return pts.sort((a, b) => a.step - b.step);
}

/** training.json's `validation_losses` ({step, dataset, loss} each): the mean over datasets at each step. */
function lossesByStep(v: Json | undefined): LossPoint[] {
  if (!Array.isArray(v)) return [];
  const byStep = new Map<number, number[]>();
  for (const l of v) {
    if (!isObject(l)) continue;
    const step = numberOr(l['step']);
    const loss = numberOr(l['loss']);
    if (step !== undefined && loss !== undefined) byStep.set(step, [...(byStep.get(step) ?? []), loss]);
  }
  return [...byStep]
    .sort(([a], [b]) => a - b)
    .map(([step, ls]) => ({ step, loss: ls.reduce((s, x) => s + x, 0) / ls.length }));
}

function range(v: Json | undefined): readonly [number, number] | undefined {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number'
    ? [v[0], v[1]]
    : undefined;
}

export async function readExperts(
  experts: Readonly<Record<string, ExpertFiles>>,
  notes: Notes,
): Promise<ExpertParts> {
  const losses: ExpertLosses[] = [];
  const configs: { label: string; config: Readonly<Record<string, Json>> }[] = [];
  const timings: Timing[] = [];
  const validation: ValidationImages[] = [];
  for (const [label, files] of Object.entries(experts)) {
    const config =
      files.config === undefined ? undefined : await readJson(files.config, `${label} training.json`, notes);
    const cfg = isObject(config) ? config : undefined;
    if (config !== undefined && !cfg) notes.add(`${label} training.json: expected a JSON object`);
    if (cfg) configs.push({ label, config: cfg });
    const role = typeof cfg?.['role'] === 'string' ? cfg['role'] : undefined;
    const validationLosses = lossesByStep(cfg?.['validation_losses']);
    if (files.validation !== undefined || validationLosses.length > 0) {
      const images =
        files.validation === undefined ? [] : await readValidationImages(files.validation, label, notes);
      validation.push({
        expert: label,
        tone: toneOf(label, role),
        images,
        ...(validationLosses.length > 0 ? { losses: validationLosses } : {}),
      });
    }
    if (files.metrics !== undefined) {
      const lines = await readJsonLines(files.metrics, `${label} metrics`, notes);
      const timestepRange = range(cfg?.['timestep_range']);
      if (lines) {
        losses.push({
          name: label,
          tone: toneOf(label, role),
          points: lossPoints(lines),
          ...(timestepRange ? { timestepRange } : {}),
        });
      }
    }
    const seconds = numberOr(cfg?.['elapsed_s']);
    if (seconds !== undefined) {
      const steps = numberOr(cfg?.['steps']);
      const rate = numberOr(cfg?.['steps_per_s']);
      const resumed = numberOr(cfg?.['resumed_from']);
      const detail = [
        steps !== undefined ? `${steps} steps` : '',
        rate !== undefined ? `${rate.toFixed(2)} steps/s` : '',
        resumed ? `resumed from step ${resumed}` : '',
      ].filter((s) => s !== '');
      timings.push({
        label: `train ${label}`,
        seconds,
        ...(detail.length ? { detail: detail.join(', ') } : {}),
      });
    }
  }
  return { losses, settings: settingsTable(configs), timings, validation };
}

function settingsTable(
  configs: readonly { label: string; config: Readonly<Record<string, Json>> }[],
): SettingsTable | undefined {
  if (configs.length === 0) return undefined;
  const flow = configs.every((c) => c.config['objective'] === 'flow_matching');
  const keys = new Set(
    configs
      .flatMap((c) => Object.keys(c.config))
      .filter((k) => !NOT_SETTINGS.has(k) && !(flow && DIFFUSION_ONLY.has(k))),
  );
  const ordered = [
    ...ORDER.filter((k) => keys.has(k)),
    ...[...keys].filter((k) => !ORDER.includes(k)).sort(),
  ];
  return {
    title: 'Experts',
    columns: configs.map((c) => c.label),
    rows: ordered.map((key) => ({ key, values: configs.map((c) => cell(c.config[key])) })),
    mustAgree: MUST_AGREE,
  };
}

const MIME: Readonly<Record<string, InlineImage['mime']>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};
/** At most this many validation images per expert (the last ones SimpleTuner saved, by name). */
const MAX_VALIDATION_IMAGES = 8;

async function readValidationImages(
  dir: string,
  label: string,
  notes: Notes,
): Promise<{ name: string; image: InlineImage }[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })).filter((n) => MIME[extname(n).toLowerCase()]).sort();
  } catch (e) {
    notes.add(
      `${label} validation images: cannot read ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return [];
  }
  const kept = names.slice(-MAX_VALIDATION_IMAGES);
  return Promise.all(
    kept.map(async (name) => ({
      name,
      image: {
        mime: MIME[extname(name).toLowerCase()] ?? 'image/png',
        bytes: await readFile(join(dir, name)),
      },
    })),
  );
}
