// The public entry point of the moe package: the step API for plugin authors.
export * from './contract/step.js';
