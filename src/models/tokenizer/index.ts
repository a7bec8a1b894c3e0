// CLIP's byte-level BPE tokenizer, loaded from the files Optimum and diffusers write.
export { ClipTokenizer } from './clip.js';
export type { ClipTokenizerSpec, EncodeOptions, Encoding } from './clip.js';
export { loadClipTokenizer, createClipTokenizer } from './load.js';
export type { TokenizerError } from './load.js';
export { learnClipVocabulary } from './train.js';
export { writeClipTokenizer } from './write.js';
export { normalizeClipText } from './normalize.js';
export { bpeWord, END_OF_WORD } from './bpe.js';
export { CLIP_DEFAULTS } from './spec-files.js';
