// `npm run schema`: writes the editor schemas (schemas/*.schema.json: the built-in steps', and each
// shipped pipeline's that uses plugins, exactly as `moe schema` writes them) and the precompiled
// validators (compiled.generated.ts). Tests check that the committed files match, so a changed step
// schema reminds its author to run this. It lives in the composition root: it needs the catalogue.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { editorSchemaText } from './editor-schema.js';
import { SHIPPED_SCHEMAS } from '../pipeline/schema/generate.js';
import { COMPILED_PATH, renderPrecompiled } from '../pipeline/schema/precompile.js';
import { builtinSteps } from '../steps/builtin.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const { path, pipeline } of SHIPPED_SCHEMAS) {
  const schema = await editorSchemaText(pipeline === undefined ? undefined : root + pipeline);
  if (!schema.ok) throw new Error(`${path}: ${schema.error}`);
  writeFileSync(root + path, schema.value.text);
}
writeFileSync(root + COMPILED_PATH, await renderPrecompiled(await builtinSteps(), root));
