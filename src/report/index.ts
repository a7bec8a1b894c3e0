// The report renderer: plain data in (model.ts), one self-contained HTML page out.
export { renderReport } from './render.js';
export { esc } from './escape.js';
export type * from './model.js';
