import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEmbedCommand } from '../../../src/cli/commands/embed';
import { CliError } from '../../../src/cli/command';
import { makeModelFolder, norm, patentWords, tempDir, TEST_WORKER, TINY_SHAPE } from './fixtures';

let root: Awaited<ReturnType<typeof tempDir>>;
let modelDir: string;

before(async () => {
  root = await tempDir('pp-cli-embed-');
  modelDir = (await makeModelFolder(join(root.path, 'tiny'), { shape: TINY_SHAPE, words: patentWords(200) }))
    .dir;
});
after(() => root.remove());

async function run(
  args: string[],
  stdin: string | string[] = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = createEmbedCommand({
    workerPath: TEST_WORKER,
    packageRoot: root.path,
    readStdin: async function* () {
      yield* typeof stdin === 'string' ? [stdin] : stdin;
    },
  });
  let stdout = '';
  let stderr = '';
  const code = await command.run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('embed prints one normalised JSON vector per text, in order', async () => {
  const result = await run([
    '--model',
    modelDir,
    'A battery comprising a cell.',
    'the electrode',
    'A battery comprising a cell.',
  ]);
  assert.equal(result.code, 0);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  const vectors = lines.map((l) => JSON.parse(l) as number[]);
  for (const v of vectors) {
    assert.equal(v.length, TINY_SHAPE.hidden);
    assert.ok(Math.abs(norm(v) - 1) < 1e-6);
  }
  assert.deepEqual(vectors[0], vectors[2]);
  assert.notDeepEqual(vectors[0], vectors[1]);
});

test('embed reads lines from standard input when given no texts', async () => {
  const result = await run(['--model', modelDir], 'first line\n\nsecond line\n');
  assert.equal(result.stdout.trim().split('\n').length, 2);
});

test('embed embeds standard input line by line as it arrives, lines split across reads included', async () => {
  const whole = await run(['--model', modelDir], 'first line\r\nsecond line\nthird');
  const pieces = await run(['--model', modelDir], ['first li', 'ne\r', '\nsecond line\n', '\n', 'third']);
  assert.equal(whole.stdout.trim().split('\n').length, 3);
  assert.equal(pieces.stdout, whole.stdout);
});

test('embed fails clearly: bad folder, bad --dims, nothing to embed, unknown option', async () => {
  await assert.rejects(
    run(['--model', join(root.path, 'missing'), 'x']),
    (e: unknown) => e instanceof CliError && /model folder .*missing: no such folder/.test(e.message),
  );
  await assert.rejects(
    run(['--model', modelDir, '--dims', '5', 'x']),
    (e: unknown) => e instanceof CliError && /cannot give 5-dimensional vectors/.test(e.message),
  );
  await assert.rejects(
    run(['--model', modelDir, '--dims', 'many', 'x']),
    /--dims needs a positive whole number/,
  );
  await assert.rejects(run(['--model', modelDir]), /no text to embed/);
  await assert.rejects(run(['--frobnicate']), /unknown option --frobnicate/);
  // Without --model and without models/ in the package, the default folder is named in the error.
  await assert.rejects(
    run(['x']),
    (e: unknown) => e instanceof CliError && /models\/use-lite-en: no such folder/.test(e.message),
  );
});
