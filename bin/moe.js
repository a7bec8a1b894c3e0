#!/usr/bin/env node
// The moe command line. Commands live in dist/cli (built from src/cli by `npm install`).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
