import { dtypeSize, isDtype, DTYPES } from './dtypes.js';
import type { Dtype } from './dtypes.js';
import { safetensorsError } from './errors.js';
import type { SafetensorsError } from './errors.js';
import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';

/** The largest header moe accepts, as the reference implementation does: a bound on hostile files. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Where one tensor lives. `byteOffset` is absolute within its file. */
export interface TensorInfo {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly byteOffset: number;
  readonly byteLength: number;
  /** The file that holds the tensor (the shard, for sharded checkpoints). */
  readonly file: string;
}

export interface ParsedHeader {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the data region starts: 8 + header length. */
  readonly dataStart: number;
}

/**
 * Checks the 8-byte little-endian header length against the file size before anything else is read, so a
 * hostile length never makes moe allocate or read gigabytes. Returns the header length.
 */
export function checkHeaderLength(
  prefix: Uint8Array,
  fileSize: number,
  file: string,
): Result<number, SafetensorsError> {
  if (fileSize < 8 || prefix.byteLength < 8) {
    return err(
      safetensorsError(
        'header-size',
        file,
        `file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length`,
      ),
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n) {
    return err(safetensorsError('header-size', file, `header length ${n} is below the minimum of 2 bytes`));
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    return err(
      safetensorsError(
        'header-size',
        file,
        `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`,
      ),
    );
  }
  const len = Number(n);
  if (8 + len > fileSize) {
    return err(
      safetensorsError(
        'header-size',
        file,
        `header length ${len} runs past the end of the file (${fileSize} bytes, ${fileSize - 8} after the length)`,
      ),
    );
  }
  return ok(len);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and validates the JSON header. `fileSize` bounds the offsets; every tensor's size must equal its
 * shape × dtype size, and the byte ranges must tile the data region exactly (no gaps, no overlaps), as the
 * format's specification requires.
 */
export function parseHeader(
  bytes: Uint8Array,
  fileSize: number,
  file: string,
): Result<ParsedHeader, SafetensorsError> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return err(safetensorsError('header-json', file, 'header is not valid UTF-8'));
  }
  if (!text.startsWith('{')) {
    return err(safetensorsError('header-json', file, 'header does not start with "{": not a JSON object'));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return err(safetensorsError('header-json', file, `header is not valid JSON (${why})`));
  }
  if (!isRecord(json)) return err(safetensorsError('header-json', file, 'header is not a JSON object'));

  const dataStart = 8 + bytes.byteLength;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  const ranges: { name: string; begin: number; end: number }[] = [];

  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(entry)) {
        return err(safetensorsError('metadata', file, '__metadata__ is not an object of strings'));
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') {
          return err(
            safetensorsError('metadata', file, `__metadata__ value for ${JSON.stringify(k)} is not a string`),
          );
        }
        metadata[k] = v;
      }
      continue;
    }
    const bad = (problem: string) => err(safetensorsError('tensor', file, problem, name));
    if (!isRecord(entry)) return bad('entry is not an object');
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isDtype(dtype)) {
      return bad(`unknown dtype ${JSON.stringify(dtype)} (expected one of ${DTYPES.join(', ')})`);
    }
    if (!Array.isArray(shape)) return bad('shape is not an array');
    if (!shape.every(isDim))
      return bad(`shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDim)) {
      return bad(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) return bad(`data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataSize)
      return bad(`data_offsets [${begin}, ${end}] run past the data region (${dataSize} bytes)`);
    let elements = 1;
    for (const d of shape) elements *= d;
    const expected = elements * dtypeSize(dtype);
    if (!Number.isSafeInteger(expected)) return bad(`shape ${JSON.stringify(shape)} is too large`);
    if (expected !== end - begin) {
      return bad(
        `shape ${JSON.stringify(shape)} × ${dtype} (${dtypeSize(dtype)} bytes) is ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    tensors.set(name, { dtype, shape, byteOffset: dataStart + begin, byteLength: end - begin, file });
    ranges.push({ name, begin, end });
  }

  const layout = checkLayout(ranges, dataSize, file);
  if (!layout.ok) return layout;
  return ok({ tensors, metadata, dataStart });
}

function checkLayout(
  ranges: { name: string; begin: number; end: number }[],
  dataSize: number,
  file: string,
): Result<true, SafetensorsError> {
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : 1));
  let at = 0;
  let prev: string | undefined;
  for (const r of ranges) {
    if (r.begin > at) {
      const after = prev === undefined ? 'the start of the data region' : `tensor ${JSON.stringify(prev)}`;
      return err(
        safetensorsError(
          'layout',
          file,
          `gap of ${r.begin - at} bytes between ${after} and this tensor`,
          r.name,
        ),
      );
    }
    if (r.begin < at) {
      return err(
        safetensorsError(
          'layout',
          file,
          `data_offsets [${r.begin}, ${r.end}] overlap tensor ${JSON.stringify(prev)} (which ends at ${at})`,
          r.name,
        ),
      );
    }
    at = r.end;
    prev = r.name;
  }
  if (at !== dataSize) {
    return err(
      safetensorsError(
        'layout',
        file,
        `tensors cover ${at} bytes of a ${dataSize}-byte data region: ${dataSize - at} trailing bytes belong to no tensor`,
      ),
    );
  }
  return ok(true);
}
