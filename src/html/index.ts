// src/html: the HTML page renderers (pure: plain data in, one self-contained page out): the run report
// (model.ts, render.ts) that the report step writes, and the sweep comparison page (compare.ts).
export { renderReport } from './render.js';
export { esc } from './escape.js';
export type * from './model.js';
