// Shared image helpers for the dataset, VAE, evaluation and report steps.
export type { RgbImage } from './types.js';
export { assertRgb } from './types.js';
export { type FloatRange, floatToByte, byteToFloat, chwToRgb, nchwToRgb, rgbToChw } from './convert.js';
export { encodePng, writePng, writeChwPng, readRgb } from './png.js';
export { type GridOptions, composeGrid, composeGridPng } from './grid.js';
export { mse, psnr } from './psnr.js';
