import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder } from '../../../src/onnx/index.js';
import { buildTrainingGraph, defaultGradRegistry, GradRegistry } from '../../../src/onnx/autodiff/index.js';
import { sigmoidGrad } from '../../../src/onnx/autodiff/rules/sigmoid.js';

function forward(): { graph: ReturnType<Builder['build']>['graph']; loss: string } {
  const b = new Builder();
  const x = b.input('x', 'float32', [2, 3]);
  const w = b.input('w', 'float32', [3, 3]);
  const t = b.input('t', 'float32', [2]);
  const h = b.matmul(x, w, 'h');
  // A time-embedding-like branch that no weight feeds: it must get no backward.
  const emb = b.sin(b.unsqueeze(t, [1]), 'emb');
  const y = b.add(h, emb, 'y');
  const loss = b.reduceMean(b.mul(y, y), [0, 1], false, 'loss');
  b.output(y, 'out');
  return { graph: b.build().graph, loss: loss.name };
}

test('the training graph keeps the inputs, outputs loss, forward outputs and grad.<name>, and prunes', () => {
  const { graph, loss } = forward();
  const r = buildTrainingGraph(graph, { loss, wrt: ['w'] });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const g = r.value;
  assert.deepEqual(
    g.inputs.map((v) => v.name),
    ['x', 'w', 't'],
  );
  assert.deepEqual(
    g.outputs.map((v) => v.name),
    [loss, 'out', 'grad.w'],
  );
  assert.deepEqual(g.outputs[2]?.shape, [3, 3]);
  const backward = g.nodes.filter((n) => n.name.startsWith('grad.'));
  assert.ok(backward.length > 0);
  // Nothing differentiates through the sine branch, and x gets no gradient of its own.
  assert.ok(!backward.some((n) => n.name.includes('emb')), backward.map((n) => n.name).join(', '));
  assert.ok(!g.outputs.some((o) => o.name === 'grad.x'));
});

test('an op without a rule on the path is an error naming the op and the node; off the path it is fine', () => {
  const b = new Builder();
  const x = b.input('x', 'float32', [4]);
  const w = b.input('w', 'float32', [4]);
  const odd = b.op('Abs', [b.mul(x, w)], {}, 'odd_one');
  const loss = b.reduceSum(odd, [0], false, 'loss');
  const r = buildTrainingGraph(b.build().graph, { loss: loss.name, wrt: ['w'] });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.reason, 'no-rule');
  assert.equal(r.error.op, 'Abs');
  assert.equal(r.error.node, 'odd_one');
  assert.match(r.error.message, /Abs.*odd_one/);

  const c = new Builder();
  const cx = c.input('x', 'float32', [4]);
  const cw = c.input('w', 'float32', [4]);
  const loss2 = c.reduceSum(c.mul(c.op('Abs', [cx]), cw), [0], false, 'loss');
  assert.ok(buildTrainingGraph(c.build().graph, { loss: loss2.name, wrt: ['w'] }).ok);
});

test('mistakes in the request are errors: unknown loss, non-scalar loss, unknown or integer wrt', () => {
  const { graph, loss } = forward();
  const unknown = buildTrainingGraph(graph, { loss: 'nope', wrt: ['w'] });
  assert.ok(!unknown.ok && unknown.error.reason === 'unknown-value');
  const notScalar = buildTrainingGraph(graph, { loss: 'y.out', wrt: ['w'] });
  assert.ok(!notScalar.ok && notScalar.error.reason === 'not-scalar', JSON.stringify(notScalar));
  const badWrt = buildTrainingGraph(graph, { loss, wrt: ['h.out'] });
  assert.ok(!badWrt.ok && badWrt.error.reason === 'unknown-value');
  const b = new Builder();
  const ids = b.input('ids', 'int64', [2]);
  const f = b.cast(ids, 'float32');
  const l = b.reduceSum(f, [0], false, 'loss');
  const intWrt = buildTrainingGraph(b.build().graph, { loss: l.name, wrt: ['ids'] });
  assert.ok(!intWrt.ok && intWrt.error.reason === 'not-float');
});

test('a weight that does not reach the loss gets a zero gradient of its shape', () => {
  const b = new Builder();
  const x = b.input('x', 'float32', [2]);
  b.input('unused', 'float32', [3, 2]);
  const loss = b.reduceSum(x, [0], false, 'loss');
  const r = buildTrainingGraph(b.build().graph, { loss: loss.name, wrt: ['x', 'unused'] });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(
    r.value.outputs.map((o) => o.name),
    [loss.name, 'grad.x', 'grad.unused'],
  );
  assert.ok(r.value.nodes.some((n) => n.op === 'ConstantOfShape'));
});

test('the registry refuses a second rule for an op', () => {
  const r = defaultGradRegistry();
  assert.throws(() => r.register(sigmoidGrad), /already registered/);
  assert.throws(() => new GradRegistry([sigmoidGrad, sigmoidGrad]), /Sigmoid/);
  for (const op of [
    'Conv',
    'MatMul',
    'Gemm',
    'InstanceNormalization',
    'LayerNormalization',
    'Resize',
    'Gather',
  ]) {
    assert.ok(r.get(op), `no rule for ${op}`);
  }
});

test('a caller can add a rule for an op the built-ins lack, through its own registry', () => {
  const b = new Builder();
  const x = b.input('x', 'float32', [4]);
  const w = b.input('w', 'float32', [4]);
  const loss = b.reduceSum(b.op('Abs', [b.mul(x, w)], {}, 'abs'), [0], false, 'loss');
  const rules = defaultGradRegistry();
  rules.register({
    op: 'Abs',
    grad: (ctx) => {
      const input = ctx.node.inputs[0] as string;
      const g = ctx.dy[0] as string;
      return [ctx.e.mul(g, ctx.e.op('Sign', [input]))];
    },
  });
  const r = buildTrainingGraph(b.build().graph, { loss: loss.name, wrt: ['w'], rules });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.ok(r.value.nodes.some((n) => n.op === 'Sign'));
});
