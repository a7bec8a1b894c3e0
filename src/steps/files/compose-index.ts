// compose.inference's index.json: the sampler's settings and one entry per image. Written by
// compose.inference; read by evaluate (to score the images) and by the report (the sample grid).

/** One image of the index. */
export interface ComposedImage {
  readonly prompt: string;
  readonly prompt_refiner: string;
  readonly seed: number;
  readonly stage: 'composed' | 'base';
  /** Relative to the images output. */
  readonly file: string;
}

export interface ComposeIndex {
  readonly scheduler: string;
  readonly steps: number;
  /** The base's share (denoising_end); with flow matching 1 − boundary. */
  readonly split: number;
  /** Set with flow matching: Wan's hand-off at t ≥ 1000·boundary, one sampler throughout, its shift. */
  readonly objective?: 'flow_matching';
  readonly boundary?: number;
  readonly shift?: number;
  /** The first timestep the refiner runs is below this one. */
  readonly cutoff: number;
  readonly base_steps: number;
  readonly refiner_steps: number;
  readonly width: number;
  readonly height: number;
  readonly negative_prompt: string;
  readonly images: readonly ComposedImage[];
}
