// The package as npm publishes it: `npm pack`, installed into an empty folder. Every entry of `exports`
// imports, the `moe` bin starts, and the packed demo pipeline runs. Uses the built dist/ (npm test builds it
// first) and npm's cache for the dependencies, which the repository's own install has filled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: readonly string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    // onnxruntime-node's install script would fetch its CUDA libraries; the package needs only the CPU ones.
    env: { ...process.env, NO_COLOR: '1', ONNXRUNTIME_NODE_INSTALL: 'skip' },
    timeout: 300_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('npm pack, installed into an empty folder: every export imports and type-checks, moe --help, the demo runs', async (t) => {
  assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is not built: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'moe-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  assert.equal(pack.code, 0, pack.out);
  const packed = JSON.parse(pack.out.slice(pack.out.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = join(dir, packed[0]!.filename);
  const files = new Set(packed[0]!.files.map((f) => f.path));
  assert.ok(
    !files.has('src/index.ts') && !files.has('test/package/pack.test.ts'),
    'sources and tests are not packed',
  );

  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
  );
  const install = run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
  assert.equal(install.code, 0, install.out);

  const installed = join(app, 'node_modules', 'moe');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    exports: Record<string, string>;
  };
  // Each entry imports at run time, and a strict TypeScript consumer finds its declarations.
  const consumer: string[] = ["export type Plugin = import('moe').StepDefinition;"];
  for (const [i, [entry, target]] of Object.entries(manifest.exports).entries()) {
    assert.ok(existsSync(join(installed, target)), `exports ${entry} → ${target} is not in the package`);
    const specifier = entry === '.' ? 'moe' : `moe/${entry.slice(2)}`;
    const json = target.endsWith('.json');
    const code = `await import('${specifier}'${json ? ", { with: { type: 'json' } }" : ''});`;
    const imported = run(process.execPath, ['--input-type=module', '-e', code], app);
    assert.equal(imported.code, 0, `import('${specifier}') failed:\n${imported.out}`);
    if (!json) consumer.push(`import * as e${i} from '${specifier}';`, `export type E${i} = typeof e${i};`);
  }
  writeFileSync(join(app, 'consumer.ts'), consumer.join('\n') + '\n');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--skipLibCheck'];
  const typed = run(
    process.execPath,
    [tsc, ...flags, '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'consumer.ts'],
    app,
  );
  assert.equal(typed.code, 0, `a TypeScript consumer of every entry does not compile:\n${typed.out}`);

  const moe = join(app, 'node_modules', '.bin', 'moe');
  const help = run(moe, ['--help'], app);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /\brun\b/);
  assert.match(help.out, /\bvalidate\b/);

  const ws = join(dir, 'ws');
  const demo = run(moe, ['run', join(installed, 'pipelines', 'demo.yaml'), '--workspace', ws], app);
  assert.equal(demo.code, 0, demo.out);
  const line = demo.out.split('\n').find((l) => l.trim().startsWith('report.report: '));
  assert.ok(line, `no results line in:\n${demo.out}`);
  const report = readFileSync(join(line.trim().slice('report.report: '.length), 'report.txt'), 'utf8');
  assert.equal(report, ['5 lines', ...[1, 2, 3, 4, 5].map((i) => `HELLO WORLD ${i}!`), ''].join('\n'));
});
