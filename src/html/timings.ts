// "Timings and cache reuse": how long each upstream node took, whether the run that wrote the page ran
// it or reused its committed result, and when; then the cache reuse figures the steps recorded.
import { esc } from './escape.js';
import { duration, pct } from './format.js';
import type { CacheReuse, Timing } from './model.js';
import type { Section } from './sections.js';

/** "2026-11-28T04:30:48.123Z" → "2026-11-28 04:30:48 UTC"; anything else as given. */
export function when(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** The latest commit time among the timings (ISO strings of one form sort as times). */
function latest(timings: readonly Timing[]): string | undefined {
  return timings
    .map((t) => t.finishedAt)
    .filter((f): f is string => f !== undefined)
    .sort()
    .at(-1);
}

function status(t: Timing): string {
  if (t.reused === undefined) return '';
  return t.reused
    ? `<td><span class="chip reused" title="this run took the committed result from the store">reused</span></td>`
    : `<td><span class="chip ran" title="this run ran the node">ran</span></td>`;
}

function timingTable(timings: readonly Timing[]): string {
  if (timings.length === 0) return '';
  const fromEngine = timings.some((t) => t.reused !== undefined);
  const longest = Math.max(...timings.map((t) => t.seconds), 1e-9);
  const total = timings.reduce((s, t) => s + t.seconds, 0);
  const ran = timings.filter((t) => t.reused === false);
  const ranSeconds = ran.reduce((s, t) => s + t.seconds, 0);
  const rows = timings
    .map((t) => {
      const step = t.step === undefined ? '' : ` <code class="muted">${esc(t.step)}</code>`;
      const detail = t.detail ? `<div class="muted">${esc(t.detail)}</div>` : '';
      const fill = t.reused === true ? 'reused' : 'ran';
      return (
        `<tr><th scope="row">${esc(t.label)}${step}${detail}</th>` +
        `<td class="meter-cell"><span class="meter"><span class="fill ${fill}" style="width:${((t.seconds / longest) * 100).toFixed(1)}%"></span></span></td>` +
        `<td class="num">${esc(duration(t.seconds))}</td>` +
        status(t) +
        (fromEngine ? `<td class="num muted">${t.finishedAt ? esc(when(t.finishedAt)) : ''}</td>` : '') +
        '</tr>'
      );
    })
    .join('');
  const head = fromEngine
    ? '<thead><tr><th scope="col">node</th><th scope="col"></th><th scope="col" class="num">took</th>' +
      '<th scope="col">this run</th><th scope="col" class="num">finished</th></tr></thead>'
    : '';
  const foot =
    `<tr><th scope="row">total</th><td></td><td class="num">${esc(duration(total))}</td>` +
    (fromEngine
      ? `<td colspan="2" class="muted">${esc(`${ran.length} ran (${duration(ranSeconds)}), ${timings.length - ran.length} reused`)}</td>`
      : '') +
    '</tr>';
  return (
    `<h3>Timings</h3><div class="scroll"><table class="data timings">${head}<tbody>${rows}</tbody>` +
    `<tfoot>${foot}</tfoot></table></div>`
  );
}

function cacheTable(caches: readonly CacheReuse[]): string {
  if (caches.length === 0) return '';
  const rows = caches
    .map((c) => {
      const all = c.encoded + c.reused;
      const share = all === 0 ? 0 : c.reused / all;
      const node = c.node === undefined ? '' : `<div class="muted">${esc(c.node)}</div>`;
      const recorded = c.recordedAt === undefined ? '' : ` · as recorded when it ran, ${when(c.recordedAt)}`;
      return (
        `<tr><th scope="row">${esc(c.label)}${node}</th>` +
        `<td class="meter-cell"><span class="meter"><span class="fill reused" style="width:${(share * 100).toFixed(1)}%"></span></span></td>` +
        `<td class="num">${esc(`${c.reused} reused, ${c.encoded} ${c.verb ?? 'encoded'}`)}` +
        `<div class="muted">${esc(`${all === 0 ? '—' : pct(share)} from the cache${recorded}`)}</div></td></tr>`
      );
    })
    .join('');
  return (
    `<h3>Cache reuse</h3><p class="lede">What the steps found in their caches instead of computing it again, ` +
    `as each recorded in its run summary.</p><div class="scroll"><table class="data reuse"><tbody>${rows}</tbody></table></div>`
  );
}

export function timingSection(
  timings: readonly Timing[],
  caches: readonly CacheReuse[],
): Section | undefined {
  if (timings.length === 0 && caches.length === 0) return undefined;
  const last = latest(timings);
  const lede = timings.some((t) => t.reused !== undefined)
    ? `<p class="lede">Every node upstream of this report, in the order their results were committed. ` +
      `A node the run reused shows how long it took when it ran. Timings are not part of the report's ` +
      `fingerprint: they never make it rerun, so a report reused from the cache shows the timings of the ` +
      `run that wrote it${last ? ` (its last upstream result finished ${esc(when(last))})` : ''}.</p>`
    : '';
  return {
    id: 'timings',
    title: 'Timings and cache reuse',
    body: lede + timingTable(timings) + cacheTable(caches),
  };
}
