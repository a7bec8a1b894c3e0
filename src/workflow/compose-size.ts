// compose.inference samples latents of (height/f, width/f) for its VAE's spatial factor f, so its width
// and height must be multiples of f. Checked before anything runs, at the value, instead of in compose
// after the experts have trained: at validation when the factor is known from the pipeline (a model made
// by a models.tiny node), and when a run or plan starts for a model folder (its VAE's small config.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic, SourceRange } from '../pipeline/diagnostic.js';
import type { JsonValue } from '../pipeline/types.js';
import { TINY_VAE, TINY_VAE_NAME } from '../models/tiny/configs.js';

export const COMPOSE_STEP = 'compose.inference';
export const TINY_STEP = 'models.tiny';

/** A VAE's spatial factor and where it comes from, for the message. */
export interface VaeFactor {
  readonly factor: number;
  readonly from: string;
}

/** A width or height as written: its value when known before running, and where it is. */
export interface SideValue {
  readonly value: JsonValue | undefined;
  readonly range: SourceRange;
}

/** The factor of moe's tiny family's VAE (a linear autoencoder on 4×4 patches). */
export const TINY_VAE_FACTOR: VaeFactor = {
  factor: TINY_VAE.factor,
  from: `the tiny family's VAE encodes ${TINY_VAE.factor}×${TINY_VAE.factor} patches`,
};

/** An error for each side whose known value is not a multiple of the factor. */
export function composeSizeDiagnostics(
  node: string,
  sides: Readonly<Record<'width' | 'height', SideValue | undefined>>,
  vae: VaeFactor,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const f = vae.factor;
  for (const key of ['width', 'height'] as const) {
    const side = sides[key];
    const v = side?.value;
    if (side === undefined || typeof v !== 'number' || !Number.isInteger(v) || v % f === 0) continue;
    const below = v - (v % f);
    const above = below + f;
    out.push({
      severity: 'error',
      code: 'vae-factor',
      message: `\`${node}\`: ${key} ${v} is not a multiple of the VAE's factor ${f} (${vae.from}); compose samples latents of ${key}/${f}`,
      range: side.range,
      suggestion: `use a multiple of ${f}: ${below >= f ? `${below} or ` : ''}${above}`,
    });
  }
  return out;
}

/**
 * The factor a model folder's VAE config gives: diffusers' 2^(len(block_out_channels) − 1) (each down
 * block but the last halves the image; SDXL's and SSD-1B's four blocks give 8), or the tiny family's.
 * Reads only vae_decoder/config.json (else vae_encoder/, vae/); undefined when none says.
 */
export function folderVaeFactor(dir: string): VaeFactor | undefined {
  for (const sub of ['vae_decoder', 'vae_encoder', 'vae']) {
    const file = join(dir, sub, 'config.json');
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (typeof config !== 'object' || config === null) continue;
    const c = config as Record<string, unknown>;
    if (c['_name_or_path'] === TINY_VAE_NAME) return TINY_VAE_FACTOR;
    const blocks = c['block_out_channels'];
    if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 8) continue;
    const n = blocks.length;
    return { factor: 2 ** (n - 1), from: `${file}: ${n} block_out_channels, 2^${n - 1}` };
  }
  return undefined;
}
