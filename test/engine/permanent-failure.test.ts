// A failure the step marks as permanent (a program that is not installed) ends the node at once, whatever
// its `retry:`; every other failure is still retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PermanentStepError } from '../../src/contract/step.js';
import type { RunEvent } from '../../src/engine/events.js';
import { Rig, pipelineOf } from './rig.js';

/** Ten minutes: a retry that waited for it would time the test out. */
const LONG = { limit: 3, backoffMs: 600_000 };

const of = <T extends RunEvent['type']>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }>[] =>
  events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

test('a step that throws PermanentStepError fails at once, once, and says it was not retried', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('train', () => {
    throw new PermanentStepError('cannot start: simpletuner not found on PATH (/usr/bin)');
  });
  const started = Date.now();
  const summary = await rig.run(pipelineOf(rig.dir, { train: { with: { content: 'x' }, retry: LONG } }));
  assert.ok(Date.now() - started < 30_000, 'no backoff was waited');
  assert.equal(summary.status, 'failed');
  assert.equal(rig.count('train'), 1);
  assert.deepEqual(of(rig.events, 'node-retry'), []);
  const failed = of(rig.events, 'node-failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.kind, 'permanent');
  assert.equal(failed[0]?.attempt, 1);
  assert.equal(failed[0]?.error, 'not retried: cannot start: simpletuner not found on PATH (/usr/bin)');
  assert.equal(summary.failures[0]?.error, failed[0]?.error);
});

test("a plugin's own error with retryable: false counts the same; without retry: the message is the step's", async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('a', () => {
    throw Object.assign(new Error('licence key missing'), { retryable: false });
  });
  rig.behaviours.set('b', () => {
    throw new PermanentStepError('cannot start: tool not found');
  });
  const summary = await rig.run(
    pipelineOf(rig.dir, { a: { with: { content: 'a' }, retry: LONG }, b: { with: { content: 'b' } } }),
    { keepGoing: true },
  );
  assert.equal(summary.status, 'failed');
  assert.equal(rig.count('a'), 1);
  const errors = Object.fromEntries(of(rig.events, 'node-failed').map((e) => [e.node, e.error]));
  assert.deepEqual(errors, { a: 'not retried: licence key missing', b: 'cannot start: tool not found' });
});

test('a command whose program does not exist is not retried; one that fails on its own still is', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(
    pipelineOf(rig.dir, {
      missing: { step: 'command', with: { run: 'moe-no-such-program-6d1f --version' }, retry: LONG },
      argv: { step: 'command', with: { argv: ['./no-such-script.sh'] }, retry: LONG },
      flaky: { step: 'command', with: { run: 'exit 3' }, retry: { limit: 1, backoffMs: 1 } },
    }),
    { keepGoing: true },
  );
  assert.equal(summary.status, 'failed');
  const starts = (node: string): number => of(rig.events, 'node-start').filter((e) => e.node === node).length;
  assert.equal(starts('missing'), 1);
  assert.equal(starts('argv'), 1);
  assert.equal(starts('flaky'), 2, 'an ordinary failure is retried');
  const failed = new Map(of(rig.events, 'node-failed').map((e) => [String(e.node), e]));
  assert.equal(failed.get('missing')?.kind, 'permanent');
  assert.match(
    failed.get('missing')?.error ?? '',
    /^not retried: command exited with code 127: .*moe-no-such-program-6d1f.*not found \(a program it runs was not found\)$/,
  );
  assert.equal(failed.get('argv')?.kind, 'permanent');
  assert.equal(failed.get('flaky')?.kind, 'error');
  assert.equal(failed.get('flaky')?.error, 'command exited with code 3');
});

test('a step that throws something other than an Error fails with what it threw, not [object Object]', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  rig.behaviours.set('a', () => {
    throw { code: 42, reason: 'quota' };
  });
  rig.behaviours.set('b', () => {
    throw 'disk on fire';
  });
  const summary = await rig.run(
    pipelineOf(rig.dir, { a: { with: { content: 'a' } }, b: { with: { content: 'b' } } }),
    { keepGoing: true },
  );
  assert.equal(summary.status, 'failed');
  const errors = Object.fromEntries(of(rig.events, 'node-failed').map((e) => [e.node, e.error]));
  assert.deepEqual(errors, { a: 'it threw {"code":42,"reason":"quota"}', b: 'it threw disk on fire' });
});

test("a step whose summary cannot be written as JSON fails as the step's fault, once, saying so", async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const circular: Record<string, unknown> = {};
  circular['self'] = circular;
  rig.results.set('a', { summary: circular } as never);
  const summary = await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'a' }, retry: LONG } }));
  assert.equal(summary.status, 'failed');
  assert.equal(rig.count('a'), 1);
  const failed = of(rig.events, 'node-failed');
  assert.equal(failed[0]?.kind, 'permanent');
  assert.match(
    failed[0]?.error ?? '',
    /the step's summary cannot be stored as JSON \(.*circular.*\): run\(\) must return plain numbers, strings, lists and objects/,
  );
});
