// Helpers for CLI tests: they run the built `bin/moe.js` (npm test builds dist/ first) in temp dirs.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const MOE = join(ROOT, 'bin', 'moe.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function moe(args: readonly string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [MOE, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function moeAsync(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [MOE, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, result };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'moe-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The pipeline most CLI tests start from: named `name`, with the parameter `word` (hello) and a node `a`
 * that writes it to a.txt, then the nodes in `more` (YAML at the nodes' indent).
 */
export function helloPipeline(name: string, more = ''): string {
  return `version: 1
name: ${name}
params:
  word: hello
nodes:
${commandNode('a', 'echo ${{ params.word }} > "$MOE_OUT/a.txt"', { a: 'a.txt' })}${more}`;
}

/**
 * One `command` node of a test pipeline, as YAML at the nodes' indent: it runs `run` (a list of lines is
 * written as a block) and declares `outputs` (name → file); each of `more` is one more key of the node.
 */
export function commandNode(
  id: string,
  run: string | readonly string[],
  outputs: Readonly<Record<string, string>>,
  ...more: readonly string[]
): string {
  const script = typeof run === 'string' ? run : ['|', ...run.map((line) => `        ${line}`)].join('\n');
  const declared = Object.entries(outputs)
    .map(([name, file]) => `${name}: ${file}`)
    .join(', ');
  const lines = [
    `  ${id}:`,
    '    step: command',
    '    with:',
    `      run: ${script}`,
    `      outputs: { ${declared} }`,
  ];
  return [...lines, ...more.map((m) => `    ${m}`), ''].join('\n');
}

/**
 * The chain the sweep tests run over `n`, as YAML at the nodes' indent: `shared` writes params.word (it does
 * not read n, so a sweep runs it once), `own` appends params.n (once per variant), and `last` copies own's
 * file. With `pause`, the first two sleep params.pause seconds first.
 */
export function sweepChain(last: string, pause = false): string {
  const sleep = pause ? 'sleep ${{ params.pause }}; ' : '';
  return [
    commandNode('shared', `${sleep}echo \${{ params.word }} > "$MOE_OUT/a.txt"`, { a: 'a.txt' }),
    commandNode(
      'own',
      `${sleep}cat \${{ nodes.shared.outputs.a }} > "$MOE_OUT/b.txt"; echo \${{ params.n }} >> "$MOE_OUT/b.txt"`,
      { b: 'b.txt' },
    ),
    commandNode(last, 'cat ${{ nodes.own.outputs.b }} > "$MOE_OUT/c.txt"', { c: 'c.txt' }),
  ].join('');
}

export function writePipeline(dir: string, text: string, name = 'p.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Every event of every run journal in a workspace, in run order. */
export function journalEvents(ws: string): { type: string; node?: string }[] {
  const runs = join(ws, 'runs');
  return readdirSync(runs)
    .filter((n) => n.endsWith('.jsonl'))
    .sort()
    .flatMap((n) =>
      readFileSync(join(runs, n), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as { type: string; node?: string }];
          } catch {
            return [];
          }
        }),
    );
}

/** Node → output digest, from the workspace index of the (only) pipeline. */
export function outputDigests(ws: string): Record<string, string> {
  const dir = join(ws, 'index');
  const index = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as {
    nodes: Record<string, { outputs: { digest: string } }>;
  };
  return Object.fromEntries(Object.entries(index.nodes).map(([k, v]) => [k, v.outputs.digest]));
}

/** The lines of `moe run --json`: the engine's events in order, then the summary that ends the stream. */
export function runJsonLines(stdout: string): {
  events: { type: string; node?: string }[];
  summary: { type: 'summary'; status: string; counts: Record<string, number> };
} {
  const lines = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { type: string });
  const last = lines.pop();
  if (last?.type !== 'summary') throw new Error(`the stream does not end with a summary: ${stdout}`);
  return { events: lines, summary: last as ReturnType<typeof runJsonLines>['summary'] };
}

/** Polls until `check` holds (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (check()) return;
    } catch {
      // Not there yet (a file not yet written).
    }
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
