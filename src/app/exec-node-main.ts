// Runs `moe exec-node` without the CLI: `node --import tsx src/app/exec-node-main.ts SPEC` (tests, source
// checkouts).
import { execNode } from './exec-node.js';

const spec = process.argv[2];
process.exitCode = spec === undefined ? 2 : await execNode(spec);
