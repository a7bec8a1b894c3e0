// Why an input item was left out. Every reason except `duplicate` counts towards `max_bad_fraction`.

export type SkipReason =
  /** The file could not be read (permissions, a directory, vanished). */
  | 'unreadable'
  /** Not an image format sharp knows (random bytes, a text file named .jpg). */
  | 'not_an_image'
  /** A known format with broken data (truncated PNG or JPEG, bad checksums). */
  | 'corrupt'
  /** Shorter side below `min_side`. */
  | 'too_small'
  /** Over sharp's pixel limit (a decompression bomb or a huge scan). */
  | 'too_large'
  /** Sidecar mode: no `<name>.txt` next to the image. */
  | 'missing_caption'
  /** The caption is blank and `allow_empty_captions` is off. */
  | 'empty_caption'
  /** Manifest mode: a row that is not valid JSON or lacks the file/caption column. */
  | 'bad_manifest_row'
  /** Manifest mode: the row names a file that does not exist. */
  | 'missing_file'
  /** Manifest mode: the row's path is absolute or climbs out of the folder. */
  | 'outside_folder'
  /** The same decoded pixels as an earlier item (kept once, under the first file). */
  | 'duplicate';

export interface Skipped {
  /** The file (or `manifest:LINE`) relative to the data set folder, with `/` separators. */
  readonly source: string;
  readonly reason: SkipReason;
  /** A human sentence, e.g. sharp's message or the sizes compared. */
  readonly detail: string;
}

export const countsAsBad = (s: Skipped): boolean => s.reason !== 'duplicate';
