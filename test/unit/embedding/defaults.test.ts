import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBatchTokens, defaultThreadCount } from '../../../src/core/embedding';
import { windows } from '../../../src/core/embedding/sentence-model';

test('threads: all cores on machines with two or fewer, else all but one (at most 8)', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 8, 16, 64].map((cores) => defaultThreadCount(cores)),
    [1, 2, 2, 3, 7, 8, 8],
  );
});

test('work items scale with the model: 1024 tokens for bge-small, fewer for bge-base, bounded', () => {
  assert.equal(defaultBatchTokens(133e6), 1024);
  assert.equal(defaultBatchTokens(436e6), 312);
  assert.equal(defaultBatchTokens(1.3e9), 256);
  assert.equal(defaultBatchTokens(28e6), 2048);
});

test('windows: one when the text fits, else overlapping by a quarter, the last ending at the end, at most 16', () => {
  assert.deepEqual(windows(10, 16, 'window-mean'), [{ start: 0, end: 10 }]);
  assert.deepEqual(windows(40, 16, 'truncate'), [{ start: 0, end: 16 }]);
  assert.deepEqual(windows(40, 16, 'window-mean'), [
    { start: 0, end: 16 },
    { start: 12, end: 28 },
    { start: 24, end: 40 },
  ]);
  assert.deepEqual(windows(30, 16, 'window-max'), [
    { start: 0, end: 16 },
    { start: 12, end: 28 },
    { start: 14, end: 30 },
  ]);
  assert.equal(windows(100_000, 16, 'window-mean').length, 16);
});
