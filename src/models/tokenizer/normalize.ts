/**
 * CLIP's text clean-up before tokenizing: Unicode NFC, every run of whitespace to one space, trimmed,
 * lowercased (what the `tokenizers` normalizer of openai/clip-vit-large-patch14 does, and what the Python
 * tokenizer's `whitespace_clean(...).lower()` does). ftfy's mojibake repair is not reproduced.
 */
export function normalizeClipText(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

/**
 * CLIP's pre-tokenizer: the special tokens whole, English contractions, runs of letters, single digits,
 * runs of other non-space characters. Spaces separate words and are dropped.
 */
export const CLIP_PRETOKENIZE =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

export function preTokenize(normalized: string): string[] {
  return normalized.match(CLIP_PRETOKENIZE) ?? [];
}
