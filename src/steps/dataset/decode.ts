// Reads and decodes one candidate, turning every way it can go wrong into a skip reason.
import { readFile } from 'node:fs/promises';
import { readRgb } from '../../imaging/png.js';
import type { RgbImage } from '../../imaging/types.js';
import type { SkipReason } from './skip.js';
import { err, ok, type Result } from '../../util/result.js';

export interface DecodeFailure {
  readonly reason: SkipReason;
  readonly detail: string;
}

function classify(message: string): SkipReason {
  if (/unsupported image format|bad seek|not a known file format/i.test(message)) return 'not_an_image';
  if (/pixel limit/i.test(message)) return 'too_large';
  return 'corrupt';
}

/** Decodes with sharp (EXIF orientation applied, alpha flattened onto white) into 8-bit RGB. */
export async function decodeFile(path: string): Promise<Result<RgbImage, DecodeFailure>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return err({ reason: 'unreadable', detail: `cannot read the file (${code})` });
  }
  if (bytes.length === 0) return err({ reason: 'not_an_image', detail: 'the file is empty' });
  try {
    return ok(await readRgb(bytes));
  } catch (e) {
    const message = (e as Error).message;
    return err({ reason: classify(message), detail: message });
  }
}
