// moe/diffusion: diffusion numerics that match Hugging Face diffusers (schedules, spacing, targets, samplers,
// the SDXL two-stage hand-off) plus the split-schedule expert ranges SimpleTuner trains with.
// Pure TypeScript on typed arrays; no dependencies, no I/O.

export type {
  ConfigIssue,
  FinalSigmasType,
  ResolvedConfig,
  SchedulerConfig,
  SchedulerConfigInput,
  SchedulerKind,
  SamplerPrediction,
  TimeShiftType,
  VarianceType,
} from './config.js';
export { DIFFUSERS_CLASS, SCHEDULER_KINDS, parseSchedulerKind, resolveSchedulerConfig } from './config.js';
export type { CreatedScheduler } from './create.js';
export { createScheduler } from './create.js';
export type { CustomSchedule, Scheduler, SetTimestepsOptions, StepOptions, StepOutput } from './scheduler.js';

export type { BetaSchedule, NoiseSchedule, NoiseScheduleSpec } from './schedules.js';
export {
  BETA_SCHEDULES,
  ZERO_SNR_TERMINAL_ALPHA_CUMPROD,
  betasForAlphaBar,
  clampTerminalAlphaCumprod,
  makeBetas,
  makeNoiseSchedule,
  sigmasFromAlphasCumprod,
} from './schedules.js';
export { rescaleZeroTerminalSnr } from './zero-snr.js';
export type { SpacingRule, SpacingSpec, TimestepSpacing } from './spacing.js';
export { TIMESTEP_SPACINGS, ddimPreviousTimestep, spacedTimesteps } from './spacing.js';
export { roundHalfEven } from './numeric.js';

export type { PredictionType } from './targets.js';
export {
  PREDICTION_TYPES,
  addNoise,
  minSnrWeights,
  predictedEpsilon,
  predictedOriginal,
  predictedVelocity,
  predictionTarget,
  snr,
  velocity,
} from './targets.js';

export type { ExpertRole, TimestepRange } from './experts.js';
export { expertRange, sampleExpertTimesteps } from './experts.js';
export type { TimestepBias } from './timestep-bias.js';
export {
  checkTimestepBias,
  sampleBiasedExpertTimesteps,
  TIMESTEP_BIAS_DEFAULTS,
  timestepBiasWeights,
} from './timestep-bias.js';
export { gaussianNoise, seededRandom, shuffle } from './random.js';
export {
  flowNoisy,
  flowPredictedOriginal,
  flowSnr,
  flowTarget,
  flowTimesteps,
  sigmaAtSnr,
} from './flow-targets.js';
export type { SigmaInterval, TimestepDensity } from './flow-density.js';
export {
  MODE_SCALE_MAX,
  checkDensity,
  densityCdf,
  densityQuantile,
  normalCdf,
  normalQuantile,
  sampleFlowSigmas,
  unshiftSigma,
} from './flow-density.js';
export type { BoundarySpec, FlowBoundary, FlowExpertRange, FlowHandoff } from './flow-experts.js';
export { flowBoundary, flowExpertRange, flowHandoff } from './flow-experts.js';
export type { SplitSchedule } from './handoff.js';
export { discreteTimestepCutoff, splitTimesteps } from './handoff.js';
export { classifierFreeGuidance, guide, rescaleNoiseCfg } from './guidance.js';
export type { Crop, Size, TimeIdForm, TimeIdOptions, TimeIdPair } from './time-ids.js';
export { baseTimeIds, refinerTimeIds, stageTimeIds } from './time-ids.js';
export type { DescribeSplitOptions, SplitDescription, StagePlan } from './describe.js';
export { SDXL_SCHEDULER_CONFIG, describeSplit } from './describe.js';
export type { DescribeFlowSplitOptions, FlowSplitDescription, FlowStagePlan } from './describe-flow.js';
export { describeFlowSplit } from './describe-flow.js';

export { DdimScheduler } from './samplers/ddim.js';
export { DdpmScheduler } from './samplers/ddpm.js';
export { DpmppScheduler } from './samplers/dpmpp-2m.js';
export { EulerScheduler } from './samplers/euler.js';
export { FlowMatchEulerScheduler } from './samplers/flow-euler.js';
export { flowShiftMu, shiftSigma, timeShift } from './samplers/flow-sigmas.js';
export { UniPcScheduler } from './samplers/unipc.js';
