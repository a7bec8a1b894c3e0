// A stand-in CLIP model folder for tests (Optimum's file layout and tensor names).
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Builder, saveModel } from '../../src/onnx/index.js';
import { generateTinyFamily } from '../../src/models/tiny/index.js';
import { loadClipTokenizer } from '../../src/models/tokenizer/index.js';

/**
 * A stand-in CLIP with Optimum's tensor names: the text embedding is a table row of the first word, the
 * image embedding the mean normalised pixel. Real enough to check tokenising, preprocessing, feeds and
 * the score formula end to end.
 */
export async function fakeClip(root: string): Promise<string> {
  const family = join(root, 'family');
  const made = await generateTinyFamily(family, { seed: 0 });
  assert.ok(made.ok);
  const dir = join(root, 'clip');
  await cp(join(family, 'tokenizer'), dir, { recursive: true });
  await writeFile(
    join(dir, 'preprocessor_config.json'),
    JSON.stringify({ size: { shortest_edge: 16 }, crop_size: { height: 16, width: 16 } }),
  );
  const tok = await loadClipTokenizer(dir);
  assert.ok(tok.ok);
  const vocab = tok.value.vocab.size;
  const table = new Float32Array(vocab * 3).fill(0.1);
  const word = (w: string) => tok.value.encode(w, { maxLength: 77 }).ids[1] as number;
  table.set([1, -1, -1], word('red') * 3);
  table.set([-1, -1, 1], word('blue') * 3);
  const b = new Builder({ name: 'clip' });
  const ids = b.input('input_ids', 'int64', [1, 77]);
  b.input('attention_mask', 'int64', [1, 77]);
  const pixels = b.input('pixel_values', 'float32', [1, 3, 16, 16]);
  const rows = b.weight('table', {
    dtype: 'float32',
    dims: [vocab, 3],
    data: { kind: 'inline', array: table },
  });
  const first = b.slice(b.gather(rows, ids, 0), [1], [2], [1]);
  b.output(b.reshape(first, [1, 3]), 'text_embeds');
  b.output(b.reduceMean(pixels, [2, 3], false), 'image_embeds');
  saveModel(b.build(), join(dir, 'model.onnx'));
  return dir;
}
