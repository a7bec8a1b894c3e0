// The composition root: where the generic engine and pipeline loader meet this moe's step catalogue
// (built-in steps and plugins), its cross-stage rules, the workspace's caches and the evaluation memo.
// Commands and services open pipelines through here; nothing below src/app knows these parts exist.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenedPipeline, OpenFailure, OpenOptions, RuleSet } from '../engine/open.js';
import { openPipeline as openWith } from '../engine/open.js';
import type { ResolveFn } from '../engine/evaluate.js';
import { withoutYoungGrowth } from '../util/young-generation.js';
import type { EvaluationMemo } from '../engine/evaluation-memo.js';
import type { Workspace } from '../engine/workspace.js';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { catalogueSteps } from './steps.js';
import { WORKFLOW_RULE_STEPS } from '../workflow/rule-steps.js';

/** Opens a pipeline with this moe's step types (built-in and the file's plugins). */
export function openPipeline(
  file: string,
  opts: Omit<OpenOptions, 'steps'> = {},
): Promise<Result<OpenedPipeline, OpenFailure>> {
  return openWith(file, { ...opts, steps: catalogueSteps });
}

/** A pipeline opened for planning or running in a workspace, with what the engine needs beside it. */
export interface WorkspacePipeline extends OpenedPipeline {
  readonly workspace: Workspace;
  /** The `${{ }}` resolver the engine evaluates `with` blocks with. */
  readonly resolve: ResolveFn;
  /** Static evaluations kept from earlier runs of this unchanged file. */
  readonly memo: EvaluationMemo;
  /** Writes the memo back to the workspace when this process added to it. */
  saveMemo(): void;
}

/** Why a pipeline could not be opened: a malformed `--param`, or the file's diagnostics. */
export type OpenProblem =
  { readonly reason: 'param-flag'; readonly message: string } | (OpenFailure & { readonly file: string });

/**
 * Opens `file` with the `--param` flags given, the cross-stage rules, the workspace's pipeline cache and
 * its evaluation memo. Only the modules a cached rerun needs load here: the loader (yaml, ajv) loads
 * only when the file changed. With `deferCacheWrite` the caller writes the pipeline cache
 * (`saveCache`).
 */
export async function openInWorkspace(
  file: string,
  paramFlags: readonly string[],
  ws: Workspace,
  opts: Pick<OpenOptions, 'deferCacheWrite'> = {},
): Promise<Result<WorkspacePipeline, OpenProblem>> {
  const { parseParamFlags } = await import('../pipeline/params.js');
  const params = parseParamFlags(paramFlags);
  if (!params.ok) return err({ reason: 'param-flag', message: params.error });
  const { codeIdentity } = await import('../engine/pipeline-cache.js');
  const opened = await openPipeline(file, {
    params: params.value,
    cacheDir: join(ws.cache, 'pipelines'),
    rules: workflowRuleSet(codeIdentity),
    ...opts,
  });
  if (!opened.ok) return err({ ...opened.error, file });
  const [{ EvaluationMemo }, { evaluationKey, readEvaluations, writeEvaluations }, { resolveWith }] =
    await Promise.all([
      import('../engine/evaluation-memo.js'),
      import('../engine/pipeline-cache.js'),
      import('../pipeline/resolve.js'),
    ]);
  const dir = join(ws.cache, 'evaluations');
  const key = evaluationKey(opened.value.pipeline, opened.value.source, opened.value.registry);
  // What this process adds goes to a file of its own in the workspace's scratch folder as it comes.
  const spill = join(ws.tmp, `evaluations-${process.pid}-${key.slice(0, 16)}.part`);
  const read = withoutYoungGrowth(() => readEvaluations(dir, key));
  const memo = new EvaluationMemo(read ?? {}, spill);
  return ok({
    ...opened.value,
    workspace: ws,
    resolve: resolveWith,
    memo,
    saveMemo: () => {
      if (memo.dirty) writeEvaluations(dir, key, memo.pieces());
      memo.close();
    },
  });
}

/**
 * The workflow's cross-stage rules, loaded only when the pipeline is not in the cache and uses a step they
 * look at (they pull in the diffusion modules: a command-only pipeline's cold run does without them). What stands for them in the cache key is the code they import: the workflow,
 * diffusion and util modules and the two step schemas they take defaults from (the pipeline modules are
 * in the key already; test/architecture/rule-code.test.ts checks this list against their imports).
 */
/**
 * The diagnostics of `file` opened with these `--param` flags (a sweep variant's values) and the rules,
 * through the workspace's pipeline cache, so a rerun of the same sweep reads each variant back instead of
 * validating it again. A malformed flag gives no diagnostic here: the caller's own flags were checked.
 */
export async function variantDiagnostics(
  file: string,
  paramFlags: readonly string[],
  ws: Workspace,
): Promise<readonly Diagnostic[]> {
  const { parseParamFlags } = await import('../pipeline/params.js');
  const params = parseParamFlags(paramFlags);
  if (!params.ok) return [];
  const { codeIdentity } = await import('../engine/pipeline-cache.js');
  const opened = await openPipeline(file, {
    params: params.value,
    cacheDir: join(ws.cache, 'pipelines'),
    rules: workflowRuleSet(codeIdentity),
  });
  return opened.ok ? opened.value.warnings : opened.error.diagnostics;
}

export const WORKFLOW_RULE_CODE = [
  '../workflow',
  '../diffusion',
  '../util',
  '../steps/train/schema',
  '../steps/diffusion/compose/schema',
  '../models/tiny/configs',
] as const;

function workflowRuleSet(codeIdentity: (paths: readonly string[]) => string): RuleSet {
  return {
    identity: codeIdentity(WORKFLOW_RULE_CODE.map((p) => fileURLToPath(new URL(p, import.meta.url)))),
    steps: WORKFLOW_RULE_STEPS,
    load: async () => (await import('../workflow/rules.js')).workflowRules,
  };
}
