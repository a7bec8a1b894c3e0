// What embeds.cache must produce and which of it the shared cache already holds: one text entry per
// distinct caption or prompt, one latent entry per distinct prepared image, each keyed by everything its
// tensors depend on.
import { hashFile, recordKey } from '../../../workflow/digest.js';
import type { DigestMemo } from '../../../workflow/digest.js';
import type { ModelFolder } from '../../../models/optimum/index.js';
import type { ManifestItem } from '../../dataset/manifest.js';

/** The model files an embedding depends on, as digests. */
export interface ModelIdentity {
  readonly text: Readonly<Record<string, string | number | boolean>>;
  readonly vae: Readonly<Record<string, string | number | boolean>>;
}

async function onnxDigest(memo: DigestMemo, file: { path: string; externalData?: string }): Promise<string> {
  const main = await memo.digest(file.path);
  return file.externalData === undefined ? main : `${main}+${await memo.digest(file.externalData)}`;
}

export async function modelIdentity(folder: ModelFolder, memo: DigestMemo): Promise<ModelIdentity> {
  return {
    text: {
      text_encoder: await onnxDigest(memo, folder.textEncoder),
      text_encoder_2: await onnxDigest(memo, folder.textEncoder2),
      tokenizer: await memo.digest(folder.tokenizer),
      tokenizer_2: await memo.digest(folder.tokenizer2),
    },
    vae: {
      vae_encoder: await onnxDigest(memo, folder.vaeEncoder),
      scaling_factor: folder.vaeScalingFactor,
    },
  };
}

/** Bump when the bytes of an entry would change for the same inputs (a fix to encoding, a new layout). */
const ENTRY_FORMAT = 1;

export const textKey = (identity: ModelIdentity, text: string): string =>
  recordKey({ kind: 'text', format: ENTRY_FORMAT, text, ...identity.text });

/**
 * The latent key uses the digest of the prepared image file (resized and cropped by dataset.images), so
 * resolution and crop are part of it without being named; the manifest id hashes the *source* pixels and
 * would not change when only the crop does.
 */
export async function latentKey(identity: ModelIdentity, imageFile: string): Promise<string> {
  return recordKey({
    kind: 'latents',
    format: ENTRY_FORMAT,
    image: await hashFile(imageFile),
    ...identity.vae,
  });
}

export interface PlannedItem {
  readonly item: ManifestItem;
  readonly file: string;
  readonly textKey: string;
  readonly latentKey: string;
}
