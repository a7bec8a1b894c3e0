// evaluate's results.json. Written by evaluate; read by the report (the evaluation table and chart,
// prompt adherence, the verdict under each sample image).
import type { TimestepRange } from '../../diffusion/index.js';

/** One stage's adherence (`composed`, `base`): the strict share is the headline. */
export interface StageAdherence {
  readonly images: number;
  /** How many images adhere (score 1, every check holds). */
  readonly adherent_images: number;
  /** Share of images that adhere: the headline figure. */
  readonly adherent: number;
  /** Mean score. */
  readonly mean: number;
  /** Per check the scorer reports, the share of images where it holds. */
  readonly checks: Readonly<Record<string, number>>;
}

/** The scorer's verdict on one compose image. */
export interface ScoredImage {
  readonly file: string;
  readonly stage: string;
  readonly prompt: string;
  readonly score: number;
  readonly adherent: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
  /** What the scorer read in the image (null: nothing found), when it says. */
  readonly seen?: Readonly<Record<string, string | null>>;
  /** The scorer's own phrase for what it read ("a green square on blue"), when it gives one. */
  readonly reading?: string;
}

/** How a scorer wants one of its checks shown: a label, and a shorter one under each image. */
export interface CheckLabel {
  readonly key: string;
  readonly label: string;
  readonly short: string;
}

export interface AdherenceResult {
  readonly scorer: string;
  /** The checks the scorer reported, in its order. */
  readonly checks: readonly string[];
  /** The scorer's labels for its checks, in the order to show them, when it gives them. */
  readonly check_labels?: readonly CheckLabel[];
  readonly stages: Readonly<Record<string, StageAdherence>>;
  readonly images: readonly ScoredImage[];
}

/** A score that was not computed, and why. */
export interface Skipped {
  readonly skipped: string;
}

export interface ClipScores {
  readonly stages: Readonly<Record<string, { readonly images: number; readonly mean: number }>>;
  readonly images: readonly ScoredImage[];
}

/** The evaluation loss of one model (an expert alone, or the composed pair) per timestep band. */
export interface BandLosses {
  /** null where no evaluation timestep falls in the band. */
  readonly base_band: number | null;
  readonly refiner_band: number | null;
  readonly full: number | null;
  /** One loss per entry of `timesteps`. */
  readonly per_timestep: readonly (number | null)[];
}

export type LossModel = 'base' | 'refiner' | 'composed';

export interface EvaluationResults {
  readonly items: number;
  readonly split: 'eval' | 'train' | 'all';
  readonly seed: number;
  readonly prediction_type: string;
  readonly zero_snr: boolean;
  /** The low-noise expert's share of the range (with flow matching, the boundary b). */
  readonly strength: number;
  /** Set with flow matching: the objective, the boundary b (the base owns t ≥ 1000·b), how b was given, the shift. */
  readonly objective?: 'flow_matching';
  readonly boundary?: number;
  readonly boundary_from?: string;
  readonly shift?: number;
  /** The timesteps each expert owns. */
  readonly bands: { readonly base: TimestepRange; readonly refiner: TimestepRange };
  readonly timesteps: readonly number[];
  readonly loss: Readonly<Record<LossModel, BandLosses>>;
  readonly adherence: (AdherenceResult & { readonly rule: string }) | Skipped;
  readonly clip_score: ClipScores | Skipped;
}

export const isSkipped = (v: object): v is Skipped => 'skipped' in v;
