/**
 * torch.nn-style modules over the builder: each takes its parameters from the child scope `name`
 * (`to_q.weight`, `to_q.bias`) and names its output after the module (`….attn1.to_q.out`), so the graph
 * reads like the diffusers model.
 */
import type { Builder, Value } from '../../onnx/builder.js';

function param(b: Builder, module: string, local: string, dims: readonly number[]): Value {
  return b.scope(module, () => b.param(local, dims));
}

/** nn.Linear(inDim, outDim, bias). */
export function linear(
  b: Builder,
  x: Value,
  name: string,
  outDim: number,
  inDim: number,
  bias = true,
): Value {
  const w = param(b, name, 'weight', [outDim, inDim]);
  return b.linear(x, w, bias ? param(b, name, 'bias', [outDim]) : undefined, name);
}

/** nn.Conv2d(inC, outC, k) with the given stride and pads ([top, left, bottom, right]; 'same' by default). */
export function conv2d(
  b: Builder,
  x: Value,
  name: string,
  inC: number,
  outC: number,
  k: number,
  options: { readonly stride?: number; readonly pads?: readonly number[] } = {},
): Value {
  const p = (k - 1) / 2;
  const stride = options.stride ?? 1;
  return b.conv(
    x,
    param(b, name, 'weight', [outC, inC, k, k]),
    param(b, name, 'bias', [outC]),
    { pads: options.pads ?? [p, p, p, p], ...(stride !== 1 ? { strides: [stride, stride] } : {}) },
    name,
  );
}

/** nn.GroupNorm(groups, channels, eps) with affine weight and bias. */
export function groupNorm(
  b: Builder,
  x: Value,
  name: string,
  channels: number,
  groups: number,
  eps: number,
): Value {
  return b.groupNorm(
    x,
    param(b, name, 'weight', [channels]),
    param(b, name, 'bias', [channels]),
    groups,
    eps,
    name,
  );
}

/** nn.LayerNorm(dim, eps) over the last axis. */
export function layerNorm(b: Builder, x: Value, name: string, dim: number, eps: number): Value {
  return b.layerNorm(x, param(b, name, 'weight', [dim]), param(b, name, 'bias', [dim]), eps, -1, name);
}
