/**
 * Resize, nearest-neighbour up-sampling by integer factors with asymmetric coordinates and floor
 * rounding (torch's F.interpolate(mode='nearest')): every input element fed a factor×factor block, so its
 * gradient is the block's sum, an AveragePool times the block size.
 */
import { dy, gradRule, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { stringAttr } from '../../attributes.js';
import { GradRuleError } from '../errors.js';

export const resizeGrad = gradRule('Resize', (ctx, e) => {
  const node = ctx.node;
  const x = input(ctx, 0);
  const mode = stringAttr(node, 'mode', 'nearest');
  const coords = stringAttr(node, 'coordinate_transformation_mode', 'half_pixel');
  const rounding = stringAttr(node, 'nearest_mode', 'round_prefer_floor');
  if (mode !== 'nearest' || coords !== 'asymmetric' || rounding !== 'floor') {
    throw new GradRuleError(
      `only nearest, asymmetric, floor resizing has a gradient rule (this one is ${mode}, ${coords}, ${rounding})`,
    );
  }
  const xs = e.shape(x);
  const ys = e.shape(node.outputs[0] as string);
  const factors = xs.map((d, i) => {
    const out = ys[i];
    if (typeof d === 'number' && typeof out === 'number') return out / d;
    const scales = ctx.constant(node.inputs[2] ?? '');
    return scales !== undefined ? Number(scales[i]) : NaN;
  });
  if (factors.some((f) => !Number.isInteger(f) || f < 1) || factors[0] !== 1 || factors[1] !== 1) {
    throw new GradRuleError(
      `the scales [${factors.join(', ')}] must be whole numbers, 1 on batch and channels`,
    );
  }
  const kernel = factors.slice(2);
  const pooled = e.op(
    'AveragePool',
    [dy(ctx)],
    { kernel_shape: attr.ints(kernel), strides: attr.ints(kernel) },
    e.fact(x),
  );
  return [
    e.scale(
      pooled,
      kernel.reduce((a, k) => a * k, 1),
    ),
  ];
});
