// The engine's record of every node upstream of the report (ctx.upstream) → the timings table and the
// cache reuse figures the steps put in their summaries.
//
// Reuse figures follow one convention, so any step (built in or a plugin) can add its own: a summary
// number `<what>_reused` beside `<what>_encoded`, `<what>_computed` or `<what>_converted`. embeds.cache
// writes texts_* and latents_* (and items_*, prompts_*), evaluate embeddings_* and unets_*.
//
// ctx.upstream is not part of the report's fingerprint: timings never make the report rerun, and a
// report reused from the cache shows the timings of the run that wrote it (the page says so).
import type { UpstreamNode } from '../../contract/step.js';
import type { CacheReuse, Timing } from '../../html/index.js';

/** How the caches' contents are named on the page; others show their key with spaces. */
const WHAT: Readonly<Record<string, string>> = {
  texts: 'text embeddings (captions and prompts)',
  latents: 'VAE latents (images)',
  items: 'items (latents + caption embedding)',
  prompts: 'extra prompts (text embeddings)',
  embeddings: 'held-out items read from the embedding cache',
  unets: 'experts converted to ONNX',
};

const VERBS = ['encoded', 'computed', 'converted'] as const;

type Summary = Readonly<Record<string, number | string | boolean>>;
const num = (s: Summary | undefined, k: string): number | undefined => {
  const v = s?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** Nodes in the order their results were committed (then by id), so the table reads as a timeline. */
export function upstreamOrder(upstream: Readonly<Record<string, UpstreamNode>>): [string, UpstreamNode][] {
  return Object.entries(upstream).sort(
    ([a, x], [b, y]) => x.finishedAt.localeCompare(y.finishedAt) || a.localeCompare(b),
  );
}

/** A short line about what the node did, from the summary fields worth a glance. */
function detailOf(s: Summary | undefined): string | undefined {
  if (!s) return undefined;
  const bits: string[] = [];
  const steps = num(s, 'steps');
  const rate = num(s, 'steps_per_s');
  const resumed = num(s, 'resumed_from');
  const images = num(s, 'images');
  const items = num(s, 'items');
  if (steps !== undefined) bits.push(`${steps} steps`);
  if (rate !== undefined) bits.push(`${rate.toFixed(2)} steps/s`);
  if (resumed) bits.push(`resumed from step ${resumed}`);
  if (steps === undefined && images !== undefined) bits.push(`${images} images`);
  if (steps === undefined && images === undefined && items !== undefined) bits.push(`${items} items`);
  return bits.length ? bits.join(', ') : undefined;
}

export function upstreamTimings(upstream: Readonly<Record<string, UpstreamNode>>): Timing[] {
  return upstreamOrder(upstream).map(([id, n]) => {
    const detail = detailOf(n.summary);
    return {
      label: id,
      step: n.step,
      seconds: Math.max(0, n.durationMs) / 1000,
      reused: n.reused,
      finishedAt: n.finishedAt,
      ...(detail ? { detail } : {}),
    };
  });
}

export function upstreamReuse(upstream: Readonly<Record<string, UpstreamNode>>): CacheReuse[] {
  const rows: CacheReuse[] = [];
  for (const [id, n] of upstreamOrder(upstream)) {
    for (const key of Object.keys(n.summary ?? {})) {
      const m = /^(.+)_reused$/.exec(key);
      const what = m?.[1];
      const reused = num(n.summary, key);
      if (what === undefined || reused === undefined) continue;
      const verb = VERBS.find((v) => num(n.summary, `${what}_${v}`) !== undefined);
      if (verb === undefined) continue;
      rows.push({
        label: WHAT[what] ?? what.replace(/_/g, ' '),
        key: what,
        encoded: num(n.summary, `${what}_${verb}`) ?? 0,
        reused,
        node: id,
        verb,
        ...(n.reused ? { recordedAt: n.finishedAt } : {}),
      });
    }
  }
  return rows;
}
