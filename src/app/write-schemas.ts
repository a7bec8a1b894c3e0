// `npm run schema`: writes schemas/pipeline.schema.json for the built-in steps, and the precompiled
// validators (compiled.generated.ts). The test suite checks that the committed files match, so a changed
// step schema reminds its author to run this. It lives in the composition root: it needs the catalogue.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinSteps } from '../steps/builtin.js';
import { SCHEMA_PATH, buildPipelineSchema, renderSchema } from '../pipeline/schema/generate.js';
import { COMPILED_PATH, renderPrecompiled } from '../pipeline/schema/precompile.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const steps = await builtinSteps();
writeFileSync(root + SCHEMA_PATH, await renderSchema(buildPipelineSchema(steps), root));
writeFileSync(root + COMPILED_PATH, await renderPrecompiled(steps, root));
