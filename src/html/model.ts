// The data a report shows, independent of where it came from: the report step reads upstream files into
// this shape and `renderReport` turns it into HTML. Everything here is plain data, so a test (or another
// tool) can build a report without running a pipeline.

/** A value shown in a settings table. `null` means "not set". */
export type Scalar = string | number | boolean | null;

/** Which of the method's parties a series belongs to; it picks the colour. */
export type Tone = 'base' | 'refiner' | 'pair' | 'other';

export interface LossPoint {
  readonly step: number;
  readonly loss: number;
}

export interface ExpertLosses {
  /** The node or role name shown above the chart ("base", "refiner"). */
  readonly name: string;
  readonly tone: Tone;
  /** One point per optimizer step, in step order. */
  readonly points: readonly LossPoint[];
  /** The timesteps this expert trains on, inclusive, when known. */
  readonly timestepRange?: readonly [number, number];
}

/** A range of timesteps the evaluation loss is averaged over. */
export interface Band {
  readonly key: string;
  readonly label: string;
  /** Inclusive timestep bounds. */
  readonly range?: readonly [number, number];
}

export interface EvaluationRow {
  readonly label: string;
  readonly tone: Tone;
  /** Loss per band key; a band the row was not evaluated on is absent. */
  readonly values: Readonly<Record<string, number>>;
}

/** Loss at each evaluated timestep, one series per model. */
export interface TimestepCurves {
  readonly timesteps: readonly number[];
  readonly series: readonly {
    readonly label: string;
    readonly tone: Tone;
    readonly values: readonly number[];
  }[];
  /** The first timestep of the base's range: the hand-off between the experts. */
  readonly cutoff?: number;
}

export interface Evaluation {
  /** What the numbers are, e.g. "evaluation loss (MSE, fixed noise and timesteps)". */
  readonly metric: string;
  readonly curves?: TimestepCurves;
  readonly bands: readonly Band[];
  readonly rows: readonly EvaluationRow[];
  /** Extra scores worth a line each (CLIP score …), label → value. */
  readonly extra: readonly { readonly label: string; readonly value: number; readonly unit?: string }[];
}

export interface AdherenceSummary {
  readonly label: string;
  readonly tone: Tone;
  /** Share of images in which every check holds (the strict headline), 0…1. */
  readonly score: number;
  readonly passed?: number;
  readonly total?: number;
  /** Mean score of the images (partial credit per check). */
  readonly mean?: number;
  /** Share of images where each check holds, by check key (see `Adherence.checks`). */
  readonly checks?: Readonly<Record<string, number>>;
}

export interface Adherence {
  /** What was scored and how, e.g. "held-out prompts, scored by my-plugin#score". */
  readonly description: string;
  /** The scorer's checks, in its order: key and the label shown (the scorer's own label, or the key). */
  readonly checks?: readonly { readonly key: string; readonly label: string }[];
  readonly summaries: readonly AdherenceSummary[];
}

/** An encoded image to inline. Only these types are inlined, so the data URI is always well formed. */
export interface InlineImage {
  readonly mime: 'image/png' | 'image/jpeg' | 'image/webp';
  readonly bytes: Uint8Array;
  readonly width?: number;
  readonly height?: number;
}

export interface SampleCell {
  readonly image: InlineImage | null;
  /** A short verdict under the image, e.g. "✓ red circle". */
  readonly note?: string;
  /** Whether the verdict is good (green) or bad (red); absent: neutral. */
  readonly verdict?: boolean;
  /** The scorer's checks for this image, each held or not, in the scorer's order. */
  readonly checks?: readonly { readonly label: string; readonly held: boolean }[];
  /** What the scorer read in the image, as a phrase ("a green square on blue"). */
  readonly seen?: string;
}

export interface SampleRow {
  readonly prompt: string;
  readonly seed?: number;
  /** One cell per column of `Samples.columns`. */
  readonly cells: readonly SampleCell[];
}

export interface Samples {
  /** Column headings, e.g. ["base only", "base → refiner"]. */
  readonly columns: readonly { readonly label: string; readonly tone: Tone }[];
  readonly rows: readonly SampleRow[];
}

/** A settings table: one row per key, one value column per `columns` entry. */
export interface SettingsTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly { readonly key: string; readonly values: readonly Scalar[] }[];
  /** Keys whose values must agree across the columns; a disagreement is flagged. */
  readonly mustAgree?: readonly string[];
}

export interface Timing {
  /** The node id (or a name for the work, when the timing comes from a file). */
  readonly label: string;
  readonly seconds: number;
  readonly detail?: string;
  /** The node's step type. */
  readonly step?: string;
  /** True when the run that wrote the report reused this node's result; false when it ran it. */
  readonly reused?: boolean;
  /** When the result was committed (ISO 8601). */
  readonly finishedAt?: string;
}

export interface CacheReuse {
  /** What was cached, e.g. "text embeddings". */
  readonly label: string;
  /** The summary's name for it (`texts` for texts_reused …), when it came from one. */
  readonly key?: string;
  /** Made now (encoded, computed, converted). */
  readonly encoded: number;
  /** Found in a cache. */
  readonly reused: number;
  /** The node whose summary gave the counts. */
  readonly node?: string;
  /** The verb for `encoded` ("encoded", "computed", "converted"); default "encoded". */
  readonly verb?: string;
  /** Set when the node's result was reused: the counts are from the run that made it, then. */
  readonly recordedAt?: string;
}

/**
 * An expert's validation from its trainer: SimpleTuner's validation images (validation_images, by file
 * name) and its validation loss on held-out images at each step it computed one.
 */
export interface ValidationImages {
  readonly expert: string;
  readonly tone: Tone;
  readonly images: readonly { readonly name: string; readonly image: InlineImage }[];
  readonly losses?: readonly LossPoint[];
}

export interface ReportData {
  readonly title: string;
  readonly subtitle?: string;
  readonly experts: readonly ExpertLosses[];
  /** The trainer's own validation images, per expert (none for the built-in backend). */
  readonly validation?: readonly ValidationImages[];
  readonly evaluation?: Evaluation;
  readonly adherence?: Adherence;
  readonly samples?: Samples;
  readonly settings: readonly SettingsTable[];
  readonly timings: readonly Timing[];
  readonly caches: readonly CacheReuse[];
  /** Things the reader should know about the data itself (a missing file, an unreadable image …). */
  readonly notes: readonly string[];
}
