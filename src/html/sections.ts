// The report's sections, each a pure function from its part of the data to an HTML fragment. A section
// with nothing to show returns undefined and is left out (and out of the contents list).
import { esc } from './escape.js';
import { duration, num, pct, scalar } from './format.js';
import type {
  Adherence,
  Evaluation,
  ExpertLosses,
  InlineImage,
  ReportData,
  Samples,
  SettingsTable,
  ValidationImages,
} from './model.js';
import { FINAL_LOSS_SMOOTHING, smooth } from './series.js';
import { evaluationChart } from './svg-bars.js';
import { timestepChart } from './svg-curves.js';
import { lossChart } from './svg-line.js';

export interface Section {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

/** A data: URI; the base64 alphabet and the fixed MIME types need no escaping. */
export function dataUri(img: InlineImage): string {
  return `data:${img.mime};base64,${Buffer.from(img.bytes.buffer, img.bytes.byteOffset, img.bytes.byteLength).toString('base64')}`;
}

function lossCaption(e: ExpertLosses): string {
  const pts = e.points.filter((p) => Number.isFinite(p.loss));
  // The trainer's smoothing, not the chart's (smoothingFor): the caption is train.expert's final_loss, the
  // number moe compare and the step's metrics show.
  const last = smooth(pts, FINAL_LOSS_SMOOTHING).at(-1);
  const bits = [`${pts.length} steps`];
  if (last) bits.push(`final smoothed loss ${num(last.loss)}`);
  if (e.timestepRange) {
    const [lo, hi] = e.timestepRange;
    // Timestep 0 is the clean image: the range that reaches it is the low-noise (refining) end.
    bits.push(`timesteps ${lo}–${hi} (${lo === 0 ? 'low' : 'high'} noise)`);
  }
  return bits.map(esc).join(' · ');
}

export function lossSection(experts: readonly ExpertLosses[]): Section | undefined {
  if (experts.length === 0) return undefined;
  const figures = experts
    .map(
      (e) =>
        `<figure class="chart-box"><figcaption><span class="swatch tone-${e.tone}"></span><strong>${esc(e.name)}</strong>` +
        `<span class="muted"> ${lossCaption(e)}</span></figcaption>${lossChart(e)}</figure>`,
    )
    .join('');
  return {
    id: 'loss',
    title: 'Training loss',
    body:
      `<p class="lede">Loss per optimizer step (faint) and its exponential moving average (bold), one chart per expert. ` +
      `Each expert sees only its own timestep range, so their loss levels are not comparable with each other.</p>` +
      `<div class="charts">${figures}</div>`,
  };
}

function evaluationTable(ev: Evaluation): string {
  const head = ev.bands
    .map(
      (b) =>
        `<th scope="col" class="num">${esc(b.label)}${b.range ? `<br><span class="muted">t ${num(b.range[0], 6)}–${num(b.range[1], 6)}</span>` : ''}</th>`,
    )
    .join('');
  const best = new Map(
    ev.bands.map((b) => {
      const vs = ev.rows.map((r) => r.values[b.key]).filter((v): v is number => v !== undefined);
      return [b.key, vs.length > 1 ? Math.min(...vs) : undefined];
    }),
  );
  const rows = ev.rows
    .map((r) => {
      const cells = ev.bands
        .map((b) => {
          const v = r.values[b.key];
          if (v === undefined) return '<td class="num muted">—</td>';
          const isBest = best.get(b.key) === v;
          return `<td class="num${isBest ? ' best' : ''}">${esc(num(v))}</td>`;
        })
        .join('');
      const pair = r.tone === 'pair' ? ' class="pair"' : '';
      return `<tr${pair}><th scope="row"><span class="swatch tone-${r.tone}"></span>${esc(r.label)}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="data"><thead><tr><th scope="col">model</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** SimpleTuner's validation of each expert: its validation loss by step, and its images (step and prompt). */
export function validationSection(v: readonly ValidationImages[] | undefined): Section | undefined {
  const withImages = (v ?? []).filter((e) => e.images.length > 0);
  const withLosses = (v ?? []).filter((e) => (e.losses ?? []).length > 0);
  if (withImages.length === 0 && withLosses.length === 0) return undefined;
  const images = withImages
    .map(
      (e) =>
        `<h3>${esc(e.expert)}</h3><div class="samples">${e.images
          .map(
            (i) =>
              `<div class="sample tone-${e.tone}"><img src="${dataUri(i.image)}" alt="${esc(i.name)}" width="100"><div class="note">${esc(i.name)}</div></div>`,
          )
          .join('')}</div>`,
    )
    .join('');
  return {
    id: 'validation',
    title: withLosses.length > 0 ? "Trainer's validation" : "Trainer's validation images",
    body: validationLossTable(withLosses) + images,
  };
}

/** The validation loss on held-out images, one row per step, one column per expert. */
function validationLossTable(v: readonly ValidationImages[]): string {
  if (v.length === 0) return '';
  const steps = [...new Set(v.flatMap((e) => (e.losses ?? []).map((p) => p.step)))].sort((a, b) => a - b);
  const head = v.map(
    (e) => `<th scope="col"><span class="swatch tone-${e.tone}"></span>${esc(e.expert)}</th>`,
  );
  const rows = steps.map((step) => {
    const cells = v.map((e) => {
      const p = (e.losses ?? []).find((x) => x.step === step);
      return p === undefined ? '<td class="num muted">—</td>' : `<td class="num">${esc(num(p.loss))}</td>`;
    });
    return `<tr><th scope="row">${step}</th>${cells.join('')}</tr>`;
  });
  return (
    `<p class="lede">Validation loss: the trainer's diffusion loss on held-out images it does not train on, ` +
    `averaged over fixed timesteps of the whole schedule.</p>` +
    `<table class="data validation-loss"><thead><tr><th scope="col">step</th>${head.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/** The pure-noise end of the schedule: the top of the widest band (999 for DDPM, 1000 for flow matching). */
function noiseEnd(ev: Evaluation): number | undefined {
  const ends = ev.bands.flatMap((b) => (b.range ? [b.range[1]] : []));
  return ends.length > 0 ? Math.max(...ends) : undefined;
}

export function evaluationSection(ev: Evaluation | undefined): Section | undefined {
  if (!ev || ev.rows.length === 0) return undefined;
  const extra =
    ev.extra.length === 0
      ? ''
      : `<ul class="extra">${ev.extra.map((x) => `<li>${esc(x.label)}: <strong>${esc(num(x.value))}${x.unit ? esc(x.unit) : ''}</strong></li>`).join('')}</ul>`;
  return {
    id: 'evaluation',
    title: 'Evaluation by timestep band',
    body:
      `<p class="lede">Metric: ${esc(ev.metric)}; lower is better, and the best value in each band is marked. ` +
      `The pair uses the base on the base's band and the refiner on the refiner's.</p>` +
      evaluationChart(ev) +
      evaluationTable(ev) +
      (ev.curves
        ? `<h3>Loss per timestep</h3><p class="lede">The same loss at each evaluated timestep; the dashed line is the hand-off between the experts.</p>${timestepChart(ev.curves, noiseEnd(ev))}`
        : '') +
      extra,
  };
}

export function adherenceSection(a: Adherence | undefined): Section | undefined {
  if (!a || a.summaries.length === 0) return undefined;
  const checks = a.checks ?? [];
  const hasMean = a.summaries.some((s) => s.mean !== undefined);
  const head =
    `<th scope="col">images from</th><th scope="col" colspan="2">every check holds</th>` +
    checks.map((c) => `<th scope="col" class="num">${esc(c.label)}</th>`).join('') +
    (hasMean ? '<th scope="col" class="num">mean score</th>' : '');
  const rows = a.summaries
    .map((s) => {
      const count = s.passed !== undefined && s.total !== undefined ? `${s.passed} of ${s.total}` : '';
      const width = Math.max(0, Math.min(1, s.score)) * 100;
      const perCheck = checks
        .map((c) => {
          const rate = s.checks?.[c.key];
          return `<td class="num">${rate === undefined ? '—' : esc(pct(rate))}</td>`;
        })
        .join('');
      return (
        `<tr class="${s.tone === 'pair' ? 'pair' : ''}"><th scope="row"><span class="swatch tone-${s.tone}"></span>${esc(s.label)}</th>` +
        `<td class="meter-cell"><span class="meter"><span class="fill tone-${s.tone}" style="width:${width.toFixed(1)}%"></span></span></td>` +
        `<td class="num headline"><strong>${esc(pct(s.score))}</strong>${count ? `<div class="muted">${esc(count)}</div>` : ''}</td>` +
        perCheck +
        (hasMean ? `<td class="num">${s.mean === undefined ? '—' : esc(s.mean.toFixed(2))}</td>` : '') +
        '</tr>'
      );
    })
    .join('');
  return {
    id: 'adherence',
    title: 'Prompt adherence',
    body:
      `<p class="lede">${esc(a.description)}</p>` +
      `<div class="scroll"><table class="data adherence"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`,
  };
}

function sampleCell(
  c: Samples['rows'][number]['cells'][number] | undefined,
  alt: string,
  tone: string,
): string {
  if (!c?.image) return `<div class="sample tone-${tone}"><div class="missing">no image</div></div>`;
  const size =
    c.image.width !== undefined && c.image.height !== undefined
      ? ` width="${c.image.width}" height="${c.image.height}"`
      : '';
  const note =
    c.note === undefined
      ? ''
      : `<div class="verdict${c.verdict === true ? ' good' : c.verdict === false ? ' bad' : ''}">${esc(c.note)}</div>`;
  const checks = c.checks?.length
    ? `<div class="checks">${c.checks
        .map(
          (k) =>
            `<span class="check ${k.held ? 'held' : 'failed'}">${k.held ? '✓' : '✗'} ${esc(k.label)}</span>`,
        )
        .join('')}</div>`
    : '';
  const seen = c.seen === undefined ? '' : `<div class="seen">saw ${esc(c.seen)}</div>`;
  const mark = c.verdict === true ? ' good' : c.verdict === false ? ' bad' : '';
  return `<div class="sample tone-${tone}${mark}"><img src="${dataUri(c.image)}" alt="${esc(alt)}"${size}>${note}${checks}${seen}</div>`;
}

/** "base → refiner 3 of 4" per column: how many of the prompt's images follow it, where verdicts exist. */
function promptTally(s: Samples, rows: readonly Samples['rows'][number][]): string {
  const parts = s.columns
    .map((col, i) => {
      const judged = rows.map((r) => r.cells[i]?.verdict).filter((v): v is boolean => v !== undefined);
      if (judged.length === 0) return '';
      const good = judged.filter((v) => v).length;
      return `<span class="tally${good === judged.length ? ' good' : ''}"><span class="swatch tone-${col.tone}"></span>${esc(`${col.label} ${good} of ${judged.length}`)}</span>`;
    })
    .filter((t) => t !== '');
  return parts.length ? `<div class="tallies">${parts.join('')}</div>` : '';
}

/**
 * One block per prompt: the prompt, how many of its images follow it per stage, then one card per seed
 * with the base-only and the composed image side by side (same seed, same initial noise).
 */
export function samplesSection(s: Samples | undefined): Section | undefined {
  if (!s || s.rows.length === 0) return undefined;
  const byPrompt = new Map<string, Samples['rows'][number][]>();
  for (const r of s.rows) byPrompt.set(r.prompt, [...(byPrompt.get(r.prompt) ?? []), r]);
  const legend = s.columns
    .map((c) => `<span class="legend-item"><span class="swatch tone-${c.tone}"></span>${esc(c.label)}</span>`)
    .join('');
  const groups = [...byPrompt]
    .map(([prompt, rows]) => {
      const cards = rows
        .map((r) => {
          const seed = r.seed === undefined ? '' : `seed ${r.seed}`;
          const cells = s.columns
            .map((col, i) =>
              sampleCell(r.cells[i], `${col.label}${seed ? `, ${seed}` : ''}: ${prompt}`, col.tone),
            )
            .join('');
          return `<figure class="pair-card">${seed ? `<figcaption>${esc(seed)}</figcaption>` : ''}<div class="pair-images">${cells}</div></figure>`;
        })
        .join('');
      return (
        `<div class="prompt-group"><div class="prompt-head"><h3 class="prompt">“${esc(prompt)}”</h3>${promptTally(s, rows)}</div>` +
        `<div class="pairs">${cards}</div></div>`
      );
    })
    .join('');
  return {
    id: 'samples',
    title: 'Samples',
    body:
      `<p class="lede">The same prompt, seed and initial noise through the base alone and through the two-stage pair ` +
      `(base, then the refiner from the cut-off); in each card the left image is the base alone, the right the pair.</p>` +
      `<div class="legend">${legend}</div>${groups}`,
  };
}

function settingCell(v: string, clash: boolean): string {
  if (v === '') return '<td class="muted">(empty)</td>';
  return `<td${clash ? ' class="clash"' : ''}>${esc(v)}</td>`;
}

function settingsTable(t: SettingsTable): string {
  const agree = new Set(t.mustAgree ?? []);
  const single = t.columns.length === 1;
  const head = single
    ? ''
    : `<thead><tr><th scope="col">setting</th>${t.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead>`;
  const rows = t.rows
    .map((r) => {
      const texts = r.values.map(scalar);
      const clash = agree.has(r.key) && new Set(texts).size > 1;
      const cells = texts.map((v) => settingCell(v, clash)).join('');
      const flag = clash ? ' <span class="flag" title="the experts must agree on this">differs</span>' : '';
      // Settings no expert sets are kept (they say what was left at its default) but dimmed.
      const unset = r.values.every((v) => v === null) ? ' class="unset"' : '';
      return `<tr${unset}><th scope="row"><code>${esc(r.key)}</code>${flag}</th>${cells}</tr>`;
    })
    .join('');
  const table = `<table class="data settings${single ? ' compact' : ''}">${head}<tbody>${rows}</tbody></table>`;
  return single
    ? `<div class="kv"><h3>${esc(t.title)}</h3>${table}</div>`
    : `<h3>${esc(t.title)}</h3>${table}`;
}

/** Tables with several columns (the experts side by side) full width; one-value tables in a grid. */
export function settingsSection(tables: readonly SettingsTable[]): Section | undefined {
  const shown = tables.filter((t) => t.rows.length > 0);
  if (shown.length === 0) return undefined;
  const wide = shown.filter((t) => t.columns.length !== 1).map(settingsTable);
  const narrow = shown.filter((t) => t.columns.length === 1).map(settingsTable);
  return {
    id: 'configuration',
    title: 'Configuration',
    body: wide.join('') + (narrow.length ? `<div class="kv-grid">${narrow.join('')}</div>` : ''),
  };
}

export function notesSection(notes: readonly string[]): Section | undefined {
  if (notes.length === 0) return undefined;
  return {
    id: 'notes',
    title: 'Notes on the data',
    body: `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`,
  };
}

/** Headline figures for the top of the page, from whatever the data has. */
export function highlights(data: ReportData): string {
  const cards: string[] = [];
  const ev = data.evaluation;
  const full = ev?.bands.find((b) => b.key === 'full') ?? ev?.bands.at(-1);
  const pair = ev?.rows.find((r) => r.tone === 'pair');
  if (ev && full && pair && pair.values[full.key] !== undefined) {
    const pv = pair.values[full.key] as number;
    const alone = ev.rows
      .filter((r) => r.tone !== 'pair')
      .map((r) => r.values[full.key])
      .filter((v): v is number => v !== undefined);
    const best = alone.length ? Math.min(...alone) : undefined;
    const delta = best !== undefined && best !== 0 ? (pv - best) / best : undefined;
    cards.push(
      card(
        `${pair.label}, ${full.label}`,
        num(pv, 3),
        best === undefined
          ? ev.metric
          : `best single expert ${num(best, 3)}${delta === undefined ? '' : ` (${delta <= 0 ? '−' : '+'}${pct(Math.abs(delta), 1)})`}`,
        best !== undefined ? pv < best : undefined,
      ),
    );
  }
  const adh = data.adherence?.summaries.find((s) => s.tone === 'pair') ?? data.adherence?.summaries[0];
  if (adh) {
    const count =
      adh.passed !== undefined && adh.total !== undefined
        ? `${adh.passed} of ${adh.total} images pass every check`
        : 'images that pass every check';
    const mean = adh.mean === undefined ? '' : `; mean score ${adh.mean.toFixed(2)}`;
    cards.push(card(`prompt adherence, ${adh.label}`, pct(adh.score), count + mean, undefined));
  }
  if (data.timings.length > 0) {
    const total = data.timings.reduce((s, t) => s + t.seconds, 0);
    const ran = data.timings.filter((t) => t.reused === false).length;
    const reused = data.timings.filter((t) => t.reused === true).length;
    cards.push(
      card(
        'compute time',
        duration(total),
        ran + reused > 0
          ? `${data.timings.length} nodes: ${ran} ran, ${reused} reused`
          : `${data.timings.length} steps timed`,
        undefined,
      ),
    );
  }
  // The encoder work (text embeddings, latents) when a step records it, else every reuse figure.
  const encoder = data.caches.filter((c) => c.key === 'texts' || c.key === 'latents');
  const counted = encoder.length > 0 ? encoder : data.caches;
  if (counted.length > 0) {
    const reu = counted.reduce((s, c) => s + c.reused, 0);
    const all = counted.reduce((s, c) => s + c.reused + c.encoded, 0);
    cards.push(
      card(
        encoder.length > 0 ? 'embeddings from the cache' : 'cache reuse',
        all === 0 ? '—' : pct(reu / all),
        `${reu} of ${all} ${encoder.length > 0 ? 'text embeddings and latents' : 'results'} reused`,
        undefined,
      ),
    );
  }
  return cards.length === 0 ? '' : `<div class="cards">${cards.join('')}</div>`;
}

function card(label: string, value: string, detail: string, good: boolean | undefined): string {
  const cls = good === true ? ' good' : good === false ? ' bad' : '';
  return (
    `<div class="card${cls}"><div class="card-label">${esc(label)}</div>` +
    `<div class="card-value">${esc(value)}</div><div class="card-detail">${esc(detail)}</div></div>`
  );
}
