// renderReport: report data in, one self-contained HTML page out. Pure: no file system, no clock (the
// same data gives the same bytes, so a rerun with unchanged inputs leaves downstream caches valid). The
// page needs no JavaScript, and its Content-Security-Policy forbids every network request: images are
// data: URIs, charts are inline SVG, the stylesheet is inline.
import { esc } from './escape.js';
import type { ReportData } from './model.js';
import {
  adherenceSection,
  evaluationSection,
  highlights,
  lossSection,
  notesSection,
  samplesSection,
  settingsSection,
  type Section,
  validationSection,
} from './sections.js';
import { timingSection } from './timings.js';
import { STYLE } from './style.js';

const CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export function renderReport(data: ReportData): string {
  const sections = [
    lossSection(data.experts),
    validationSection(data.validation),
    evaluationSection(data.evaluation),
    adherenceSection(data.adherence),
    samplesSection(data.samples),
    settingsSection(data.settings),
    timingSection(data.timings, data.caches),
    notesSection(data.notes),
  ].filter((s): s is Section => s !== undefined);
  const toc = sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('');
  const body = sections
    .map(
      (s) =>
        `<section id="${s.id}" aria-labelledby="${s.id}-h"><h2 id="${s.id}-h">${esc(s.title)}</h2>${s.body}</section>`,
    )
    .join('\n');
  const subtitle = data.subtitle === undefined ? '' : `<p class="subtitle">${esc(data.subtitle)}</p>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="moe report">',
    `<title>${esc(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<header><h1>${esc(data.title)}</h1>${subtitle}${highlights(data)}<nav class="toc" aria-label="Contents">${toc}</nav></header>`,
    body,
    '<footer>Written by moe’s report step. This page is self-contained: it makes no network requests.</footer>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
