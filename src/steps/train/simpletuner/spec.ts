// What the SimpleTuner backend needs to train one expert. train.expert builds it from its `with` block and
// the step context; `moe import simpletuner` reads the same fields back out of a SimpleTuner config.
import type { ExpertRole, PredictionType, TimestepBias, TimestepSpacing } from '../../../diffusion/index.js';
import type { ScheduleKind } from '../../../train/optim/schedule.js';

export interface SimpleTunerSpec {
  readonly role: ExpertRole;
  /** Refiner training strength s: the base trains on [int(s·1000), 999], the refiner on [0, int(1000·s) − 1]. */
  readonly strength: number;
  /** A diffusers model folder or hub id (SSD-1B, SDXL). */
  readonly model: string;
  /** SimpleTuner's model family; SSD-1B and SDXL are both `sdxl`. */
  readonly modelFamily?: string;
  /** A folder of training images, each with a `.txt` caption beside it. */
  readonly dataDir: string;
  /** This expert's own output_dir (absolute): checkpoints and the final pipeline/ land here. */
  readonly outputDir: string;
  /** Text-embed cache (absolute), shared by both experts. */
  readonly cacheDir: string;
  /** VAE latent cache (absolute), shared by both experts. */
  readonly cacheDirVae: string;
  /** Where config.json and multidatabackend.json are written (absolute). */
  readonly configDir: string;
  readonly resolution?: number;
  readonly predictionType?: PredictionType;
  readonly zeroSnr?: boolean;
  readonly timestepSpacing?: TimestepSpacing;
  readonly learningRate: number;
  readonly lrScheduler?: ScheduleKind;
  readonly lrWarmupSteps?: number;
  readonly weightDecay?: number;
  readonly batchSize: number;
  readonly gradientAccumulation: number;
  readonly gradientCheckpointing?: boolean;
  /** Absent: no clipping (written as max_grad_norm 0; SimpleTuner's own default clips at 2.0). */
  readonly maxGradNorm?: number;
  /** norm: global L2 norm; value: per element (SimpleTuner's default). Default: norm, moe's meaning. */
  readonly gradClipMethod?: 'norm' | 'value';
  /** Default bf16, SimpleTuner's. */
  readonly mixedPrecision?: 'no' | 'fp16' | 'bf16';
  readonly snrGamma?: number;
  /** SimpleTuner's --timestep_bias_* options; SimpleTuner applies the weights inside its segments. */
  readonly timestepBias?: TimestepBias;
  readonly emaDecay?: number;
  /** Share of samples trained on the empty prompt. SimpleTuner's own default is 0.1, so it is always written. */
  readonly captionDropout?: number;
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly seed: number;
  /** SimpleTuner's validation while training. */
  readonly validation?: {
    readonly every?: number;
    readonly prompts?: readonly string[];
    readonly negativePrompt?: string;
    readonly guidanceScale?: number;
    readonly guidanceRescale?: number;
    readonly steps?: number;
    readonly seed?: number;
    /** Validation loss on `evalDataDir` every this many steps (eval_steps_interval). */
    readonly lossEvery?: number;
    readonly lossImages?: number;
    readonly lossTimesteps?: number;
  };
  /** Held-out images with `.txt` captions, SimpleTuner's eval dataset for the validation loss. */
  readonly evalDataDir?: string;
  /** Partially denoise dataset images at validation (SimpleTuner fixes that strength at 0.2). */
  readonly validationUsingDatasets?: boolean;
  /** The command to launch, before SimpleTuner's own arguments. Default: `simpletuner train`. */
  readonly command?: readonly string[];
}
