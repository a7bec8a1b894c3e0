// The layering the code is built on (docs/ARCHITECTURE.md): the engine and the pipeline loader are
// generic and know no step type, workflow rule or model; the step contract depends on nothing above it.
// Read from the import statements themselves (static, `export … from` and dynamic `import()`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sources(path));
    else if (name.endsWith('.ts')) found.push(path);
  }
  return found;
}

/** Every relative module a file imports, as a path under src/ (`engine/open.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|\s)import\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] as string);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(src, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** `from` files that import a module under one of `forbidden`, as `file → module` lines. */
function violations(from: readonly string[], forbidden: readonly string[]): string[] {
  const out: string[] = [];
  for (const layer of from) {
    for (const file of sources(join(src, layer))) {
      for (const target of importsOf(file)) {
        if (forbidden.some((f) => target === f || target.startsWith(`${f}/`))) {
          out.push(`${relative(src, file)} → ${target}`);
        }
      }
    }
  }
  return out;
}

test('the scan sees static, re-exported and dynamic imports', () => {
  const open = importsOf(join(src, 'engine/open.ts'));
  assert.ok(open.includes('engine/pipeline-cache.ts'), 'a static import');
  assert.ok(open.includes('pipeline/load.ts'), 'a dynamic import()');
  assert.ok(importsOf(join(src, 'index.ts')).includes('contract/step.ts'), 'an export … from');
});

test('no file under src/engine or src/pipeline imports from src/steps, src/workflow or src/models', () => {
  assert.deepEqual(violations(['engine', 'pipeline'], ['steps', 'workflow', 'models']), []);
});

test('the engine and the loader import nothing of the composition root, the CLI or the page renderers', () => {
  assert.deepEqual(violations(['engine', 'pipeline'], ['app', 'cli', 'html']), []);
});

test('the step contract depends on nothing but itself', () => {
  const outside = violations(
    ['contract'],
    ['app', 'cli', 'engine', 'pipeline', 'steps', 'workflow', 'models'],
  );
  assert.deepEqual(outside, []);
});

test('the pipeline loader does not import the engine', () => {
  assert.deepEqual(violations(['pipeline'], ['engine']), []);
});

test('the workflow finds scorers among plugin files its caller passes: it does not import the plugin loader', () => {
  assert.deepEqual(violations(['workflow'], ['steps/plugins.ts']), []);
});

test('step definitions live in src/steps: src/models (the model families) imports no step or step contract', () => {
  assert.deepEqual(violations(['models'], ['steps', 'contract', 'app', 'engine', 'pipeline']), []);
  const defining = sources(join(src, 'models')).filter((f) =>
    /:\s*StepDefinition\b/.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(
    defining.map((f) => relative(src, f)),
    [],
  );
});

test('one thing is named report: the report step (src/steps/report); the page renderers are src/html', () => {
  const named = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      const here = /report/i.test(name) ? [relative(src, path)] : [];
      return statSync(path).isDirectory() && here.length === 0 ? [...here, ...named(path)] : here;
    });
  assert.deepEqual(named(src), ['steps/report']);
});

test("the report step and the page renderers know no scorer's vocabulary: labels come from results.json", () => {
  const found: string[] = [];
  for (const file of [...sources(join(src, 'steps/report')), ...sources(join(src, 'html'))]) {
    const text = readFileSync(file, 'utf8');
    // A check key or a plugin's name as a string: what a scorer's own labels and reading now say.
    for (const m of text.matchAll(/['"`](shape|colou?r|background|[a-z]+Ok)['"`]|synthetic[- ]shapes/g)) {
      found.push(`${relative(src, file)}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, []);
});

test("the plugins reach moe only through the package's exports, as a plugin in its own package would", () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string>;
    dependencies: Record<string, string>;
  };
  const entries = new Set(Object.keys(pkg.exports).map((e) => (e === '.' ? 'moe' : `moe/${e.slice(2)}`)));
  const outside: string[] = [];
  for (const file of sources(join(root, 'plugins'))) {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/g)].map(
      (m) => m[1] as string,
    );
    for (const spec of specs) {
      const fine = spec.startsWith('./')
        ? !relative(dirname(file), resolve(dirname(file), spec)).startsWith('..')
        : spec.startsWith('node:') || entries.has(spec) || spec in pkg.dependencies;
      if (!fine) outside.push(`${relative(root, file)} → ${spec}`);
    }
  }
  assert.ok(sources(join(root, 'plugins')).length > 0, 'the scan finds the plugins');
  assert.deepEqual(outside, []);
});
