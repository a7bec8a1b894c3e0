import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';
import { loadClipTokenizer } from '../tokenizer/index.js';
import type { ClipTokenizer } from '../tokenizer/index.js';
import { describeModelFolder, modelFolderError } from './folder.js';
import type { DescribeOptions, ModelFolder, ModelFolderError } from './folder.js';
import { inspectModelFolder } from './inspect.js';
import type { SessionFactory } from './session.js';
import type { ModelSignature } from './signature.js';

/** A checked model folder with its tokenizers loaded, ready for prompt encoding and the VAE. */
export interface OpenedModelFolder {
  readonly folder: ModelFolder;
  readonly signature: ModelSignature;
  readonly tokenizer: ClipTokenizer;
  readonly tokenizer2: ClipTokenizer;
  readonly sessions: SessionFactory;
}

/**
 * Describes, loads and checks a model folder: files, configs, tokenizers, and every ONNX model's tensors.
 * The one call the rest of moe makes before using a model; every problem comes back at once.
 */
export async function openModelFolder(
  root: string,
  sessions: SessionFactory,
  options: DescribeOptions = {},
): Promise<Result<OpenedModelFolder, ModelFolderError>> {
  const described = await describeModelFolder(root, options);
  if (!described.ok) return described;
  const folder = described.value;
  const [t1, t2] = await Promise.all([
    loadClipTokenizer(folder.tokenizer),
    loadClipTokenizer(folder.tokenizer2),
  ]);
  const signature = await inspectModelFolder(folder, sessions);
  const problems = [
    ...(t1.ok ? [] : [{ file: t1.error.file, message: t1.error.message.slice(t1.error.file.length + 2) }]),
    ...(t2.ok ? [] : [{ file: t2.error.file, message: t2.error.message.slice(t2.error.file.length + 2) }]),
    ...(signature.ok ? [] : signature.error.problems),
  ];
  if (!t1.ok || !t2.ok || !signature.ok) return err(modelFolderError(root, problems));
  return ok({ folder, signature: signature.value, tokenizer: t1.value, tokenizer2: t2.value, sessions });
}
