// `npm run schema`: writes schemas/pipeline.schema.json for the built-in steps. The test suite checks
// that the committed file matches, so a changed step schema reminds its author to run this.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinSteps } from '../../steps/builtin.js';
import { SCHEMA_PATH, buildPipelineSchema, renderSchema } from './generate.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
writeFileSync(root + SCHEMA_PATH, await renderSchema(buildPipelineSchema(await builtinSteps()), root));
