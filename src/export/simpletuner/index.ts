// `moe export simpletuner`: for every train.expert node with `backend: simpletuner`, the config.json,
// multidatabackend.json (and user_prompt_library.json) moe would run, written to DIR/<node>/, with shared
// caches under DIR/cache/ and a README with the commands, so a team that runs SimpleTuner by hand gets
// configs for both experts from one pipeline. The files are the ones train.expert writes
// (buildSimpleTunerFiles); only the paths differ: they point into DIR instead of moe's workspace.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { resolveWith } from '../../pipeline/resolve.js';
import type { JsonValue, Pipeline, PipelineNode } from '../../pipeline/types.js';
import type { TrainExpertWith } from '../../steps/train/schema.js';
import {
  buildSimpleTunerFiles,
  CONFIG_FILE,
  DATABACKEND_FILE,
  PROMPT_LIBRARY_FILE,
} from '../../steps/train/simpletuner/config.js';
import type { SimpleTunerFiles } from '../../steps/train/simpletuner/config.js';
import { pretrainedModel, simpleTunerSpec } from '../../steps/train/simpletuner/backend.js';
import { launchArgs } from '../../steps/train/simpletuner/launch.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';

export interface ExportedExpert {
  readonly node: string;
  readonly role: 'base' | 'refiner';
  /** The folder holding this expert's files. */
  readonly dir: string;
  readonly files: SimpleTunerFiles;
  /** `simpletuner train` and its arguments for the node's GPUs. */
  readonly command: readonly string[];
}

export interface SimpleTunerExport {
  readonly experts: readonly ExportedExpert[];
  readonly readme: string;
}

/** Upstream outputs stand in as `<nodes.X.outputs.Y>`: export follows a dataset node to its folder. */
const OUTPUT = (node: string, name: string): string => `<nodes.${node}.outputs.${name}>`;
const UPSTREAM = /^<nodes\.([^.>]+)\.outputs\.([^>]+)>$/;

function resolveNode(pipeline: Pipeline, node: PipelineNode): Result<Record<string, JsonValue>, string> {
  const r = resolveWith(
    node.with,
    { params: pipeline.params, env: (name) => process.env[name], output: OUTPUT },
    { shellFields: new Set() },
  );
  if (!r.ok) return err(r.error.map((d) => d.message).join('; '));
  return ok(r.value.value as Record<string, JsonValue>);
}

/** The image folder an expert reads: a dataset.images node's `path`, or the folder written as `images`. */
function imagesFolder(pipeline: Pipeline, images: string): Result<string, string> {
  const m = UPSTREAM.exec(images);
  if (!m) return ok(isAbsolute(images) ? images : resolve(pipeline.dir, images));
  const source = pipeline.nodes.get(m[1] as PipelineNode['id']);
  if (source?.step !== 'dataset.images') {
    return err(
      `images comes from \`${m[1]}\` (${source?.step ?? 'unknown'}), which export cannot follow to a folder`,
    );
  }
  const w = resolveNode(pipeline, source);
  if (!w.ok) return w;
  const path = w.value['path'];
  if (typeof path !== 'string') return err(`\`${m[1]}\` has no literal path`);
  return ok(isAbsolute(path) ? path : resolve(pipeline.dir, path));
}

export async function exportSimpleTuner(
  pipeline: Pipeline,
  outDir: string,
): Promise<Result<SimpleTunerExport, string>> {
  const root = resolve(outDir);
  if (existsSync(root) && !statSync(root).isDirectory())
    return err(`${outDir} is a file, not a folder: name a folder with -o (it is made when missing)`);
  try {
    return await writeExport(pipeline, root);
  } catch (e) {
    const why = (e as Error).message;
    return err(`cannot write the configs: ${why}; name another folder with -o`);
  }
}

async function writeExport(pipeline: Pipeline, root: string): Promise<Result<SimpleTunerExport, string>> {
  const experts: ExportedExpert[] = [];
  const writes: { readonly path: string; readonly text: string }[] = [];
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  for (const node of pipeline.nodes.values()) {
    if (node.step !== 'train.expert') continue;
    const w = resolveNode(pipeline, node);
    if (!w.ok) return err(`${node.id}: ${w.error}`);
    const expert = w.value as unknown as TrainExpertWith;
    if (expert.backend !== 'simpletuner') continue;
    if (typeof expert.images !== 'string') return err(`${node.id}: no images`);
    const data = imagesFolder(pipeline, expert.images);
    if (!data.ok) return err(`${node.id}: ${data.error}`);
    const dir = join(root, node.id);
    const spec = simpleTunerSpec(expert, {
      model: pretrainedModel(expert, pipeline.dir),
      dataDir: data.value,
      outputDir: join(dir, 'output'),
      configDir: dir,
      cacheDir: join(root, 'cache', 'text'),
      cacheDirVae: join(root, 'cache', 'vae'),
    });
    const files = buildSimpleTunerFiles(spec);
    if (!files.ok) return err(`${node.id}: ${files.error}`);
    writes.push({ path: join(dir, CONFIG_FILE), text: json(files.value.config) });
    writes.push({ path: join(dir, DATABACKEND_FILE), text: json(files.value.databackend) });
    if (files.value.promptLibrary !== undefined)
      writes.push({ path: join(dir, PROMPT_LIBRARY_FILE), text: json(files.value.promptLibrary) });
    const command = ['simpletuner', 'train', ...launchArgs({ gpus: node.resources.gpu, nodes: 1 })];
    experts.push({ node: node.id, role: expert.role, dir, files: files.value, command });
  }
  if (experts.length === 0) return err('no train.expert node with backend: simpletuner in this pipeline');
  const readme = readmeText(pipeline, experts);
  writes.push({ path: join(root, 'README.md'), text: readme });
  const theirs = othersFiles(
    root,
    writes.map((x) => x.path),
  );
  if (theirs.length > 0)
    return err(
      `${theirs.join(', ')} ${theirs.length === 1 ? 'is' : 'are'} already there, in a folder no earlier moe export wrote (its README.md would say so); name another folder with -o, or move ${theirs.length === 1 ? 'it' : 'them'} away first`,
    );
  for (const { path, text } of writes) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return ok({ experts, readme });
}

/** What the README of an export starts with: a folder holding it was written by moe export. */
const README_HEAD = '# SimpleTuner configs exported from ';

/**
 * The files of `paths` that exist in a folder an earlier export did not write (a SimpleTuner config folder
 * of the user's, a project folder with its own README.md): overwriting them would lose them.
 */
function othersFiles(root: string, paths: readonly string[]): string[] {
  const readme = join(root, 'README.md');
  try {
    if (readFileSync(readme, 'utf8').startsWith(README_HEAD)) return [];
  } catch {
    // No README: no earlier export here.
  }
  return paths.filter((p) => existsSync(p));
}

function readmeText(pipeline: Pipeline, experts: readonly ExportedExpert[]): string {
  const ordered = [...experts].sort((a, b) => (a.role === b.role ? 0 : a.role === 'base' ? -1 : 1));
  const lines = [
    `${README_HEAD}${pipeline.name} (${pipeline.file})`,
    '',
    'One folder per expert with the `config.json` and `multidatabackend.json` moe runs. Both experts share',
    'the text-embed and VAE caches under `cache/`; start the second once the first has begun training (its',
    'caches are then complete), or one after the other.',
    '',
    ...ordered.flatMap((e) => [
      `## ${e.node} (${e.role}: ${e.role === 'base' ? 'high-noise timesteps, --refiner_training_invert_schedule' : 'low-noise timesteps'})`,
      '',
      '```sh',
      `cd ${shellWord(e.dir)} && ${e.command.map(shellWord).join(' ')}`,
      '```',
      '',
    ]),
    '`simpletuner train` needs config.json in its working directory; the trained UNet lands in',
    '`output/pipeline/unet`.',
    '',
  ];
  return lines.join('\n');
}

/** A word as a POSIX shell reads it back: quoted when it holds anything but plain characters. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
