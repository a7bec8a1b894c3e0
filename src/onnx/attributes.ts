/**
 * Node attributes: constructors (ONNX distinguishes int from float, JavaScript numbers do not) and the readers
 * the shape rules and the gradient rules share.
 */
import type { Attribute, Node, Tensor } from './ir.js';

export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  strings: (value: readonly string[]): Attribute => ({ type: 'strings', value }),
  tensor: (value: Tensor): Attribute => ({ type: 'tensor', value }),
};

// Readers of a node's attributes: the value when the node has the attribute with that type, else `fallback`.

export function intAttr(node: Node, name: string, fallback = 0): number {
  const a = node.attributes[name];
  return a?.type === 'int' ? a.value : fallback;
}

export function floatAttr(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a?.type === 'float' ? a.value : fallback;
}

export function intsAttr(node: Node, name: string): readonly number[] | undefined {
  const a = node.attributes[name];
  return a?.type === 'ints' ? a.value : undefined;
}

export function stringAttr(node: Node, name: string, fallback: string): string {
  const a = node.attributes[name];
  return a?.type === 'string' ? a.value : fallback;
}
