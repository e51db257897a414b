import assert from 'node:assert/strict';
import { cp, lstat, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEvalCommand } from '../../../src/cli/commands/eval';
import { createIndexCommand } from '../../../src/cli/commands/index';
import { createSearchCommand } from '../../../src/cli/commands/search';
import { main } from '../../../src/cli/main';
import { loadModelFolder } from '../../../src/core/embedding/model-folder';
import { DEFAULT_FUSION } from '../../../src/core/search/fusion';
import {
  DEFAULT_MODEL,
  REPO_ROOT,
  runCli,
  SHARED_DATA,
  temporaryFolder,
  WORKER_BOOTSTRAP,
  workspaceWith,
} from '../index/helpers';

// The commands as the bundle builds them, but with the worker run from source (no build needed).
const paths = { workerPath: WORKER_BOOTSTRAP, packageRoot: REPO_ROOT };

test('index then search a folder: JSON results with score, file, paragraph, text, range', async () => {
  const dir = await workspaceWith(['uspto/US08930553.xml', 'ep/application-v1-5-A1.xml']);
  const indexed = await runCli(createIndexCommand(paths), [dir, '--json']);
  assert.equal(indexed.code, 0, indexed.stderr);
  const summary = JSON.parse(indexed.stdout) as { documents: number; paragraphsEmbedded: number };
  assert.equal(summary.documents, 2);
  assert.ok(summary.paragraphsEmbedded > 50);
  assert.ok((await stat(join(dir, '.patent-passages', 'passages.ppidx'))).size > 10_000);

  const searched = await runCli(createSearchCommand(paths), [
    dir,
    '--query',
    'a vehicular display device that folds to expose a storage box',
    '--top',
    '3',
    '--json',
  ]);
  assert.equal(searched.code, 0, searched.stderr);
  const output = JSON.parse(searched.stdout) as {
    results: {
      score: number;
      file: string;
      paragraph: string;
      text: string;
      range: { startOffset: number };
    }[];
    timings: Record<string, number>;
    embeddedNow?: number;
    hybridDenseWeight: number;
  };
  assert.equal(output.results.length, 3);
  const stated = (await loadModelFolder(DEFAULT_MODEL)).hybridDenseWeight;
  assert.equal(output.hybridDenseWeight, stated ?? DEFAULT_FUSION.denseWeight);
  assert.equal(output.embeddedNow, undefined, 'the cache was current: nothing embedded again');
  const top = output.results[0];
  assert.equal(top?.file, 'ep/application-v1-5-A1.xml');
  assert.match(top?.paragraph ?? '', /^\d{4}$/);
  assert.ok((top?.score ?? 0) > 0 && (top?.score ?? 2) <= 1);
  assert.ok(top?.text.toLowerCase().includes('display'));
  assert.equal(typeof top?.range.startOffset, 'number');
  assert.equal(typeof output.timings.totalMs, 'number');
});

test('bad arguments get a clear message and no stack trace', async () => {
  let stderr = '';
  const io = { stdout: () => {}, stderr: (t: string) => void (stderr += t) };
  assert.equal(await main(['search', '/tmp', '--query', 'x', '--mode', 'fuzzy'], io), 2);
  assert.match(stderr, /--mode must be hybrid, dense or lexical/);
  assert.equal(await main(['eval', '--pairs', '/nonexistent/pairs.jsonl'], io), 1);
  assert.match(stderr, /cannot read \/nonexistent\/pairs\.jsonl \(ENOENT\)/);
  assert.equal(await main(['eval', '--pairs', '/nonexistent/pairs.jsonl', '--cv-seed', 'one'], io), 2);
  assert.match(stderr, /--cv-seed must be a whole number/);
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/);
});

test('eval on a hand-checkable pairs file: metrics of every mode beside the BM25 baseline', async () => {
  const folder = await temporaryFolder('pp-eval-');
  const pairs = join(folder, 'pairs.jsonl');
  const rows = [
    {
      text: 'A bicycle brake lever with a cable adjuster.',
      text_b: 'The brake lever of the bicycle carries a cable adjuster barrel.',
      label: 1,
    },
    {
      text: 'A bicycle brake lever with a cable adjuster.',
      text_b: 'The battery housing is sealed by an O-ring.',
      label: 0,
    },
    { text: 'A sealed battery housing.', text_b: 'The battery housing is sealed by an O-ring.', label: 1 },
    {
      text: 'A sealed battery housing.',
      text_b: 'Seeds are planted in rows spaced one metre apart.',
      label: 0,
    },
  ];
  await writeFile(pairs, rows.map((r) => JSON.stringify(r)).join('\n'));
  const result = await runCli(createEvalCommand(paths), ['--pairs', pairs, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout) as {
    passages: number;
    queries: number;
    rows: ({ name: string } & Record<string, number>)[];
  };
  assert.equal(output.passages, 3);
  assert.equal(output.queries, 2);
  const names = output.rows.map((r) => r.name);
  assert.deepEqual(names.slice(0, 3), ['baseline-bm25', 'lexical, claim only', 'dense']);
  assert.match(names[3] ?? '', /^hybrid/);
  // Each claim shares its distinctive words only with its relevant paragraph: every method is perfect.
  for (const row of output.rows) {
    assert.equal(row['accuracy@1'], 1, row.name);
    assert.equal(row['mrr@10'], 1, row.name);
    assert.equal(row['ndcg@10'], 1, row.name);
  }
});

test('eval --json on the dev set: rows with one default, cross-validated rows, within-application rows', async () => {
  const result = await runCli(createEvalCommand(paths), [
    '--pairs',
    join(SHARED_DATA, 'patentmatch', 'dev.jsonl'),
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  type Row = { name: string; default?: boolean; chosenPerFold?: string[] } & Record<string, unknown>;
  const output = JSON.parse(result.stdout) as {
    queries: number;
    applications: number;
    model: { id: string; hybridDenseWeight: number; hybridDenseWeightFrom: string };
    crossValidation: { folds: number; groupedBy: string };
    bootstrap: { iterations: number; resampled: string };
    rows: Row[];
    withinApplication: { meanCandidates: number; rows: Row[]; randomOrder: Record<string, number> };
  };
  assert.equal(output.queries, 503);
  assert.equal(output.applications, 51);
  assert.equal(output.crossValidation.folds, 5);
  assert.equal(output.crossValidation.groupedBy, 'patent_application_id');
  assert.ok(output.bootstrap.iterations >= 1000);
  assert.match(output.bootstrap.resampled, /applications/);
  assert.equal(output.rows[0]?.name, 'baseline-bm25');
  const defaults = output.rows.filter((r) => r.default === true);
  assert.equal(defaults.length, 1);
  // The default row runs with the bundled model folder's weight, or the global default where it has none.
  const stated = (await loadModelFolder(DEFAULT_MODEL)).hybridDenseWeight;
  assert.match(output.model.id, /^use-lite-en@[0-9a-f]{12}\/512/);
  assert.equal(output.model.hybridDenseWeight, stated ?? DEFAULT_FUSION.denseWeight);
  assert.equal(output.model.hybridDenseWeightFrom, stated === undefined ? 'global default' : 'model folder');
  assert.equal(
    defaults[0]?.name,
    `hybrid (linear ${output.model.hybridDenseWeight}, ${stated === undefined ? 'global default' : "the model's weight"})` +
      ' + documents (best w 0.7)',
  );
  const crossValidated = output.rows.filter((r) => r.chosenPerFold);
  assert.ok(crossValidated.length >= 2);
  for (const row of crossValidated) assert.equal(row.chosenPerFold?.length, 5, row.name);
  for (const row of output.rows.slice(1)) {
    for (const key of ['mrr@10 vs baseline', 'accuracy@10 vs baseline']) {
      const vs = row[key] as { difference: number; ci95: [number, number] };
      assert.ok(vs.ci95[0] <= vs.difference && vs.difference <= vs.ci95[1], `${row.name} ${key}`);
    }
  }
  const within = output.withinApplication;
  assert.ok(within.meanCandidates > 1 && within.meanCandidates < 580);
  assert.deepEqual(
    within.rows.map((r) => r.name.split(' ')[0]),
    ['baseline-bm25', 'lexical,', 'dense', 'lexical', 'hybrid'],
  );
  // Among ~15 candidates a random order already finds a relevant one in the top 10 most of the time.
  for (const row of within.rows) {
    const vs = row['mrr@10 vs random order'] as { difference: number; ci95: [number, number] };
    assert.ok(vs.ci95[0] <= vs.difference && vs.difference <= vs.ci95[1], row.name);
  }
  const randomAccuracy = within.randomOrder['accuracy@10'] ?? NaN;
  const randomMrr = within.randomOrder['mrr@10'] ?? NaN;
  assert.ok(randomAccuracy > 0.5 && randomAccuracy < 1, String(randomAccuracy));
  assert.ok(randomMrr > 0 && randomMrr < 1, String(randomMrr));
});

test('eval with a model folder whose manifest states a dense weight: the default row uses it and says so', async () => {
  // A copy of the bundled model (real files, the bundled folder only read) whose manifest says weight 0.
  const model = join(await temporaryFolder('pp-eval-model-'), 'use-lite-en');
  await cp(DEFAULT_MODEL, model, { recursive: true, dereference: true });
  const manifestPath = join(model, 'patent-passages.json');
  assert.equal((await lstat(manifestPath)).isSymbolicLink(), false);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestPath, JSON.stringify({ ...manifest, hybrid: { denseWeight: 0 } }, null, 2));
  // The dev set's claims of its first ten applications: real pairs, enough for five folds.
  const lines = (await readFile(join(SHARED_DATA, 'patentmatch', 'dev.jsonl'), 'utf8')).split('\n');
  const applications = [
    ...new Set(
      lines
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { patent_application_id: string }).patent_application_id),
    ),
  ].slice(0, 10);
  const pairs = join(await temporaryFolder('pp-eval-'), 'dev-10-applications.jsonl');
  await writeFile(
    pairs,
    lines.filter((l) => applications.some((a) => l.includes(`"patent_application_id": "${a}"`))).join('\n'),
  );

  const result = await runCli(createEvalCommand(paths), ['--pairs', pairs, '--model', model, '--json']);
  assert.equal(result.code, 0, result.stderr);
  type Row = { name: string; default?: boolean } & Record<string, unknown>;
  const output = JSON.parse(result.stdout) as {
    applications: number;
    model: { id: string; hybridDenseWeight: number; hybridDenseWeightFrom: string };
    rows: Row[];
    withinApplication: { rows: Row[] };
  };
  assert.equal(output.applications, 10);
  assert.deepEqual(
    { weight: output.model.hybridDenseWeight, from: output.model.hybridDenseWeightFrom },
    { weight: 0, from: 'model folder' },
  );
  const metrics = (row: Row | undefined) =>
    Object.fromEntries(Object.entries(row ?? {}).filter(([key]) => /@\d+$/.test(key)));
  for (const rows of [output.rows, output.withinApplication.rows]) {
    const defaults = rows.filter((r) => r.default === true);
    assert.deepEqual(
      defaults.map((r) => r.name),
      ["hybrid (linear 0, the model's weight) + documents (best w 0.7)"],
    );
    // Weight 0: the default hybrid ranks every claim exactly as lexical search (same steps) does.
    const lexical = rows.find((r) => r.name === 'lexical + documents (best w 0.7)');
    assert.ok(Object.keys(metrics(lexical)).length >= 6);
    assert.deepEqual(metrics(defaults[0]), metrics(lexical));
  }

  const text = await runCli(createEvalCommand(paths), ['--pairs', pairs, '--model', model]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout.split('\n')[0] ?? '',
    /, model use-lite-en@[0-9a-f]{12}\/512\/window-mean, hybrid dense weight 0 \(model folder\)$/,
  );
  assert.match(
    text.stdout,
    /^\* = the extension's default: hybrid \(linear 0, the model's weight\) \+ documents \(best w 0\.7\)$/m,
  );
});
