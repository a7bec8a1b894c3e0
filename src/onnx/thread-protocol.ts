// The messages between a SessionThread (thread-session.ts) and its worker (thread-session-entry.ts).
// Everything here is plain data: it crosses the thread boundary by structured clone.
import type { SessionOptions } from './session.js';

/** A tensor as plain data: onnxruntime's type name, its typed array and its dimensions. */
export interface PlainTensor {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** What the worker knows of an open session's inputs and outputs (onnxruntime's ValueMetadata). */
export interface PlainMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** The worker's `workerData`. */
export interface ThreadStart {
  readonly options: SessionOptions;
}

/** Host → worker; every request carries an id its reply repeats. */
export type ThreadRequest =
  | { readonly op: 'open'; readonly id: number; readonly path: string }
  | {
      readonly op: 'run';
      readonly id: number;
      readonly session: number;
      readonly feeds: Readonly<Record<string, PlainTensor>>;
      readonly outputs?: readonly string[];
    }
  | { readonly op: 'release'; readonly id: number; readonly session: number };

/** Worker → host. */
export type ThreadReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly opened?: {
        readonly session: number;
        readonly inputs: readonly PlainMetadata[];
        readonly outputs: readonly PlainMetadata[];
      };
      readonly outputs?: Readonly<Record<string, PlainTensor>>;
    }
  | { readonly id: number; readonly ok: false; readonly message: string };
