// Reads SimpleTuner's older config.env: shell-style `export KEY=value` lines, where values may be quoted
// and may expand earlier keys (`${TRAINER_EXTRA_ARGS} --flag`). Known variable names map to option names;
// TRAINER_EXTRA_ARGS is split into `--option[=value]` words. Nothing is executed.
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import type { RawOptions } from './options.js';

/** The config.env variables SimpleTuner's launcher translated into options. */
const ENV_TO_OPTION: Readonly<Record<string, string>> = {
  MODEL_NAME: 'pretrained_model_name_or_path',
  MODEL_FAMILY: 'model_family',
  MODEL_TYPE: 'model_type',
  OUTPUT_DIR: 'output_dir',
  DATALOADER_CONFIG: 'data_backend_config',
  LEARNING_RATE: 'learning_rate',
  LR_SCHEDULE: 'lr_scheduler',
  LR_WARMUP_STEPS: 'lr_warmup_steps',
  TRAIN_BATCH_SIZE: 'train_batch_size',
  GRADIENT_ACCUMULATION_STEPS: 'gradient_accumulation_steps',
  MAX_NUM_STEPS: 'max_train_steps',
  NUM_EPOCHS: 'num_train_epochs',
  CHECKPOINTING_STEPS: 'checkpoint_step_interval',
  CHECKPOINTING_LIMIT: 'checkpoints_total_limit',
  TRAINING_SEED: 'seed',
  RESOLUTION: 'resolution',
  OPTIMIZER: 'optimizer',
  MIXED_PRECISION: 'mixed_precision',
  MAX_GRAD_NORM: 'max_grad_norm',
  REPORT_TO: 'report_to',
  VALIDATION_PROMPT: 'validation_prompt',
  VALIDATION_STEPS: 'validation_step_interval',
  RESUME_CHECKPOINT: 'resume_from_checkpoint',
};

export interface EnvConfig {
  readonly options: RawOptions;
  /** Variables set in the file that no option corresponds to. */
  readonly unknownVariables: readonly string[];
}

export function parseConfigEnv(text: string): Result<EnvConfig, string> {
  const vars = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1]) return err(`line ${i + 1}: expected KEY=value, got: ${line}`);
    const value = unquote(m[2] ?? '', vars);
    if (!value.ok) return err(`line ${i + 1}: ${value.error}`);
    vars.set(m[1], value.value);
  }
  const options: Record<string, string | boolean> = {};
  const unknownVariables: string[] = [];
  for (const [name, value] of vars) {
    if (name === 'TRAINER_EXTRA_ARGS') continue;
    const option = ENV_TO_OPTION[name];
    if (option !== undefined) options[option] = value;
    else unknownVariables.push(name);
  }
  const extra = vars.get('TRAINER_EXTRA_ARGS');
  if (extra !== undefined) {
    const parsed = parseArgs(splitWords(extra));
    if (!parsed.ok) return parsed;
    Object.assign(options, parsed.value);
  }
  return ok({ options, unknownVariables });
}

/** `--a=1 --b 2 --flag` → { a: '1', b: '2', flag: true }. */
export function parseArgs(words: readonly string[]): Result<Record<string, string | boolean>, string> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('--')) return err(`TRAINER_EXTRA_ARGS: expected an --option, got "${word}"`);
    const eq = word.indexOf('=');
    if (eq > 0) {
      out[word.slice(2, eq)] = word.slice(eq + 1);
      continue;
    }
    const next = words[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out[word.slice(2)] = next;
      i++;
    } else out[word.slice(2)] = true;
  }
  return ok(out);
}

function unquote(raw: string, vars: ReadonlyMap<string, string>): Result<string, string> {
  const v = raw.trim();
  if (v.startsWith("'")) {
    if (!v.endsWith("'") || v.length < 2) return err('unterminated single quote');
    return ok(v.slice(1, -1));
  }
  let body = v;
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) return err('unterminated double quote');
    body = v.slice(1, -1);
  } else {
    const hash = body.search(/\s#/);
    if (hash >= 0) body = body.slice(0, hash).trim();
  }
  return ok(
    body.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_, a: string | undefined, b: string | undefined) => vars.get(a ?? b ?? '') ?? '',
    ),
  );
}

/** Splits on whitespace, honouring single and double quotes inside the value. */
function splitWords(s: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let current = '';
  let last = -1;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const piece = m[1] ?? m[2] ?? m[3] ?? '';
    if (m.index === last && current !== '') current += piece;
    else {
      if (current !== '') words.push(current);
      current = piece;
    }
    last = m.index + m[0].length;
  }
  if (current !== '') words.push(current);
  return words;
}
