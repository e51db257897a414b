import { readFile } from 'node:fs/promises';
import MiniSearch from 'minisearch';
import type { Embedder } from '../../core/embedding';
import { Analyzer, BASELINE_ANALYZER, type AnalyzerOptions } from '../../core/search/analyzer';
import { Bm25Index, DEFAULT_BM25, type Bm25Parameters } from '../../core/search/bm25';
import { splitClaimElements } from '../../core/search/claim-query';
import { fusionForModel, type FusionOptions } from '../../core/search/fusion';
import { crossValidate } from '../../core/search/cross-validation';
import {
  buildRetrievalTask,
  hitsAt10,
  pairedBootstrap,
  randomOrderExpectation,
  reciprocalRanks,
  retrievalMetrics,
  type RetrievalMetrics,
  type RetrievalTask,
} from '../../core/search/metrics';
import { PassageCorpus } from '../../core/search/passage-corpus';
import type { SearchMode } from '../../core/search/types';
import { CliError, type CliCommand, type CliIo } from '../command';
import { bundledPaths, longTextMode, openEmbedder, parseArgs, stderrLogger, type CliPaths } from './index';

const usage = `Usage: patent-passages eval --pairs FILE [options]

Runs the retrieval task of ../shared/data/README.md on PatentMatch-format JSON lines: corpus = distinct
text_b, queries = distinct claims with a label-1 row, relevant = their label-1 paragraphs. Prints
accuracy@1/3/5/10, MRR@10 and nDCG@10 of lexical, dense and hybrid search beside the plain BM25
baseline (k1 1.2, b 0.75, lower-cased words, stop words and pure numbers dropped), all in this run.
Paragraphs are grouped into documents by cited_document_id, queries into applications by
patent_application_id. Every tuned setting (rows "by CV") is chosen by 5-fold cross-validation grouped
by application (seeded) and its figures are out of fold. Every row carries the difference in MRR@10 and
accuracy@10 from the baseline with a 95 % paired-bootstrap interval resampling applications. A second
table ranks each claim among its own application's paragraphs only, beside the exact expectation of a
random order. The row marked * (JSON: "default": true) is the extension's default search: hybrid
with the dense weight of the model folder's patent-passages.json (hybrid.denseWeight), or the global
default where it states none; the header line says which.

Options:
  --pairs FILE        the JSON lines file (required)
  --model DIR         model folder (default: the bundled models/use-lite-en)
  --long-text MODE    window-mean (default) | truncate | window-max
  --compare           also measure alternatives: float32 vs int8 vectors, fusion methods and
                      weights, element-wise matching, MiniSearch as the BM25 engine
  --cv-seed N         seed of the assignment of applications to folds (default 1)
  --json              print JSON
`;

interface Measured extends RetrievalMetrics {
  /** Per query, for the paired comparisons with the baseline; not printed. */
  reciprocalRanks: number[];
  hits: number[];
  /** Per query, its top 10 (passage ids), for cross-validation; not printed. */
  rankings: string[][];
}

interface EvalRow extends Measured {
  name: string;
  /** The mode and fusion the extension uses by default (`patentPassages.mode` = hybrid, the model's weight). */
  default?: true;
  /** For a cross-validated row: the setting chosen on the other folds, per fold. */
  chosenPerFold?: string[];
}

const CV_FOLDS = 5;
const CV_SEED = 1;
const BOOTSTRAP_ITERATIONS = 2000;
const BOOTSTRAP_SEED = 42;

function measure(rankings: string[][], relevant: Set<string>[]): Measured {
  return {
    ...retrievalMetrics(rankings, relevant),
    reciprocalRanks: reciprocalRanks(rankings, relevant),
    hits: hitsAt10(rankings, relevant),
    rankings,
  };
}

export function createEvalCommand(paths: CliPaths): CliCommand {
  return {
    name: 'eval',
    summary: 'measure retrieval quality on PatentMatch-format pairs',
    usage,
    async run(args: string[], io: CliIo): Promise<number> {
      const { values, flags } = parseArgs(args, {
        values: ['--pairs', '--model', '--long-text', '--threads', '--cv-seed'],
        flags: ['--json', '--compare'],
      });
      const file = values.get('--pairs');
      if (!file) throw new CliError('--pairs FILE is required', 2);
      const cvSeedText = values.get('--cv-seed') ?? String(CV_SEED);
      if (!/^\d{1,9}$/.test(cvSeedText)) throw new CliError('--cv-seed must be a whole number', 2);
      const cvSeed = Number(cvSeedText);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
      let task: RetrievalTask;
      try {
        task = buildRetrievalTask(text, file);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      if (task.queries.length === 0) throw new CliError(`${file}: no claim with a label-1 paragraph`);
      // The unit of folds and of bootstrap resampling; a line without an application is its own unit.
      const groups = task.queries.map((q, i) => q.application || `query ${i}`);
      const relevant = task.queries.map((q) => q.relevant);
      const crossValidated = <C>(
        name: string,
        candidates: readonly { setting: C; label: string; measured: Measured }[],
      ): EvalRow => {
        const result = crossValidate(
          groups,
          candidates,
          (c) =>
            c.measured.rankings.map((ranking, q) => ({ ranking, rr: c.measured.reciprocalRanks[q] ?? 0 })),
          (outcomes) => outcomes.reduce((sum, o) => sum + o.rr, 0) / Math.max(1, outcomes.length),
          { folds: CV_FOLDS, seed: cvSeed },
        );
        return {
          name,
          ...measure(
            result.outOfFold.map((o) => o.ranking),
            relevant,
          ),
          chosenPerFold: result.folds.map((f) => f.chosen.label),
        };
      };

      const rows: EvalRow[] = [];
      const within: EvalRow[] = [];
      const timings: Record<string, number> = {};
      const baselineIndex = baselineBm25(task);
      rows.push({ name: 'baseline-bm25', ...measure(baselineIndex.rank(), relevant) });
      within.push({ name: 'baseline-bm25', ...measure(baselineIndex.rank(true), relevant) });

      const embedder = await openEmbedder(paths, {
        model: values.get('--model'),
        longText: longTextMode(values.get('--long-text')),
        logger: stderrLogger(io, false),
      });
      // The extension's default search runs with the weight the model folder states.
      const modelFusion = fusionForModel(embedder.hybridDenseWeight);
      const statesWeight = embedder.hybridDenseWeight !== undefined;
      const weightFrom = statesWeight ? 'model folder' : 'global default';
      const defaultHybrid = `hybrid (${describeFusion(modelFusion)}, ${statesWeight ? "the model's weight" : 'global default'})`;
      try {
        let started = performance.now();
        const passageVectors = await embedder.embed(task.passages, {
          kind: 'passage',
          priority: 'background',
        });
        timings.embedPassagesMs = performance.now() - started;
        started = performance.now();
        const queryVectors = await embedder.embed(
          task.queries.map((q) => q.text),
          { kind: 'query', priority: 'background' },
        );
        timings.embedQueriesMs = performance.now() - started;

        const corpus = new PassageCorpus(embedder.dims);
        task.passages.forEach((passage, i) => {
          // Paragraphs are grouped into documents by cited_document_id, as the workspace groups them by file.
          const document = task.documents[i] || 'pairs';
          corpus.add({
            uri: document,
            documentLabel: document,
            paragraphId: String(i),
            text: passage,
            range: emptyRange,
            hash: String(i),
          });
          corpus.vectors.set(String(i), [passageVectors[i] as Float32Array]);
        });
        const run = (
          mode: SearchMode,
          fusion?: FusionOptions,
          elements?: (Float32Array[] | undefined)[],
          elementWeight?: number,
          withinApplication = false,
        ): Measured => {
          const rankings = task.queries.map((q, i) => {
            const own = task.applicationPassages.get(q.application);
            const ranking = corpus
              .search({
                mode,
                topK: 10,
                queryText: q.text,
                queryVector: queryVectors[i],
                roleOf: () => 'prior-art',
                ...(withinApplication && own ? { accept: (record) => own.has(record.paragraphId) } : {}),
                ...(fusion ? { fusion } : {}),
                ...(elements?.[i]
                  ? { elements: elements[i].map((vector) => ({ text: '', vector })), elementWeight }
                  : {}),
              })
              .map((hit) => hit.paragraphId);
            return withinApplication && own ? fillWithUnranked(ranking, own) : ranking;
          });
          return measure(rankings, relevant);
        };
        started = performance.now();
        const lexical = run('lexical');
        rows.push({ name: 'lexical', ...lexical });
        rows.push({ name: 'dense', ...run('dense') });
        rows.push({ name: defaultHybrid, ...run('hybrid', modelFusion), default: true });
        rows.push(
          crossValidated('lexical: analyzer + BM25 by CV (baseline | product)', [
            { setting: 'baseline', label: 'baseline', measured: rows[0] as Measured },
            { setting: 'product', label: 'product', measured: lexical },
          ]),
        );
        rows.push(crossValidated('lexical: analyzer steps + k1, b by CV (72 settings)', lexicalGrid(task)));
        rows.push(
          crossValidated(
            'hybrid: linear weight by CV (0 … 0.5)',
            linearWeights.map((denseWeight) => {
              const fusion: FusionOptions = { method: 'linear', denseWeight, rrfK: 60 };
              return { setting: fusion, label: describeFusion(fusion), measured: run('hybrid', fusion) };
            }),
          ),
        );
        for (const mode of ['lexical', 'dense', 'hybrid'] as const)
          within.push({
            name: mode === 'hybrid' ? defaultHybrid : mode,
            ...run(mode, mode === 'hybrid' ? modelFusion : undefined, undefined, undefined, true),
            ...(mode === 'hybrid' ? { default: true as const } : {}),
          });
        timings.searchMs = performance.now() - started;

        if (flags.has('--compare')) {
          rows.push({
            name: 'dense float32 (no quantisation)',
            ...denseFloat(task, passageVectors, queryVectors),
          });
          // The default first (chosen on ties); comparedFusions may hold it too.
          const fusions = [modelFusion, ...comparedFusions].filter(
            (f, i, all) => all.findIndex((g) => describeFusion(g) === describeFusion(f)) === i,
          );
          const fusionRuns = fusions.map((fusion) => ({
            setting: fusion,
            label: describeFusion(fusion),
            measured: run('hybrid', fusion),
          }));
          for (const f of fusionRuns.slice(1)) rows.push({ name: `hybrid (${f.label})`, ...f.measured });
          rows.push(crossValidated('hybrid: fusion method + weight by CV', fusionRuns));
          const elementVectors = await embedElements(embedder, task);
          const split = elementVectors.filter((v) => v !== undefined).length;
          const elementRuns = [0, 0.1, 0.2, 0.4].map((weight) => ({
            setting: weight,
            label: `elements w${weight}`,
            measured: run('hybrid', modelFusion, elementVectors, weight),
          }));
          for (const e of elementRuns.slice(1))
            rows.push({
              name: `hybrid + ${e.label} (${split}/${task.queries.length} claims split)`,
              ...e.measured,
            });
          rows.push(crossValidated('hybrid + elements: weight by CV (0 … 0.4)', elementRuns));
          rows.push({ name: 'lexical via MiniSearch (same analyzer)', ...miniSearchMetrics(task) });
        }
      } finally {
        await embedder.dispose();
      }

      const baseline = rows[0] as EvalRow;
      const withinBaseline = within[0] as EvalRow;
      const randomOrder = randomOrderRow(task);
      // The random order as a row of per-query expectations, to compare the within rows with it.
      const randomAsRow: EvalRow = {
        name: 'random order',
        queries: task.queries.length,
        ...randomOrder.mean,
        reciprocalRanks: randomOrder.reciprocalRanks,
        hits: randomOrder.hits,
        rankings: [],
      };
      const applications = new Set(groups).size;
      const jsonRow = (row: EvalRow, base: EvalRow): Record<string, unknown> => {
        const { reciprocalRanks: _rr, hits: _hits, rankings: _rankings, ...printed } = row;
        const vs = versusBaseline(row, base, groups);
        return { ...printed, 'mrr@10 vs baseline': vs.mrr, 'accuracy@10 vs baseline': vs.accuracy };
      };
      const output = {
        pairs: file,
        passages: task.passages.length,
        queries: task.queries.length,
        applications,
        documents: new Set(task.documents).size,
        model: {
          id: embedder.modelId,
          // The dense share of the default hybrid row, and where it comes from.
          hybridDenseWeight: modelFusion.denseWeight,
          hybridDenseWeightFrom: weightFrom,
        },
        crossValidation: {
          folds: Math.min(CV_FOLDS, applications),
          seed: cvSeed,
          groupedBy: 'patent_application_id',
          objective: 'mrr@10 on the other folds',
        },
        bootstrap: {
          iterations: BOOTSTRAP_ITERATIONS,
          seed: BOOTSTRAP_SEED,
          resampled: 'applications (clusters of queries)',
        },
        rows: rows.map((row) => jsonRow(row, baseline)),
        withinApplication: {
          meanCandidates:
            task.queries.reduce(
              (sum, q) => sum + (task.applicationPassages.get(q.application)?.size ?? 0),
              0,
            ) / task.queries.length,
          rows: within.map((row) => {
            const vs = versusBaseline(row, randomAsRow, groups);
            return {
              ...jsonRow(row, withinBaseline),
              'mrr@10 vs random order': vs.mrr,
              'accuracy@10 vs random order': vs.accuracy,
            };
          }),
          randomOrder: randomOrder.mean,
        },
        timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
      };
      if (flags.has('--json'))
        io.stdout(
          `${JSON.stringify(output, (_, v: unknown) => (typeof v === 'number' ? round(v) : v), 1)}\n`,
        );
      else {
        io.stdout(
          `${task.queries.length} queries of ${applications} applications, ${task.passages.length} passages ` +
            `of ${output.documents} documents, model ${output.model.id}, hybrid dense weight ` +
            `${modelFusion.denseWeight} (${weightFrom})\n` +
            `Rows "by CV": setting chosen by ${output.crossValidation.folds}-fold CV grouped by application ` +
            `(seed ${cvSeed}), figures out of fold. Δ = row − baseline, 95 % CI of a paired bootstrap ` +
            `resampling applications (${BOOTSTRAP_ITERATIONS}×, seed ${BOOTSTRAP_SEED}).\n\n`,
        );
        io.stdout(formatTable(rows, baseline, groups, defaultHybrid));
        io.stdout(
          `\nWithin application: each claim ranked among its own application's cited paragraphs ` +
            `(${output.withinApplication.meanCandidates.toFixed(1)} on average)\n`,
        );
        io.stdout(formatTable(within, withinBaseline, groups, defaultHybrid, randomOrder.mean));
        io.stdout(
          `Against the random order's expectation (same bootstrap):\n${within
            .map((row) => {
              const vs = versusBaseline(row, randomAsRow, groups);
              return `  ${row.name}: ΔMRR@10 ${formatDifference(vs.mrr)}, Δacc@10 ${formatDifference(vs.accuracy)}`;
            })
            .join('\n')}\n`,
        );
      }
      return 0;
    },
  };
}

export const evalCommand = createEvalCommand(bundledPaths);

const emptyRange = {
  start: { line: 0, character: 0 },
  end: { line: 0, character: 0 },
  startOffset: 0,
  endOffset: 0,
};

const linearWeights = [0, 0.1, 0.2, 0.3, 0.4, 0.5];

const comparedFusions: FusionOptions[] = [
  { method: 'minmax', denseWeight: 0.3, rrfK: 60 },
  { method: 'minmax', denseWeight: 0.5, rrfK: 60 },
  { method: 'minmax', denseWeight: 0.7, rrfK: 60 },
  { method: 'rrf', denseWeight: 0.5, rrfK: 60 },
  { method: 'linear', denseWeight: 0.2, rrfK: 60 },
  { method: 'linear', denseWeight: 0.3, rrfK: 60 },
  { method: 'linear', denseWeight: 0.4, rrfK: 60 },
  { method: 'linear', denseWeight: 0.5, rrfK: 60 },
];

function describeFusion(f: FusionOptions): string {
  return f.method === 'rrf' ? `rrf k${f.rrfK}` : `${f.method} ${f.denseWeight}`;
}

/** The plain BM25 of the data README, exactly: baseline analyzer, k1 1.2, b 0.75, ties by corpus order. */
export function baselineMetrics(task: RetrievalTask): Measured {
  return measure(
    baselineBm25(task).rank(),
    task.queries.map((q) => q.relevant),
  );
}

/**
 * The baseline's top 10 per query (or of BM25 with other analyzer steps and parameters); with
 * `withinApplication`, among the query's application's paragraphs.
 */
function baselineBm25(
  task: RetrievalTask,
  analyzerOptions: Required<AnalyzerOptions> = BASELINE_ANALYZER,
  parameters: Bm25Parameters = DEFAULT_BM25,
): { rank(withinApplication?: boolean): string[][] } {
  const analyzer = new Analyzer(analyzerOptions);
  const index = new Bm25Index(parameters);
  task.passages.forEach((p, i) => index.add(i, analyzer.terms(p)));
  return {
    rank: (withinApplication = false) =>
      task.queries.map((q) => {
        const own = task.applicationPassages.get(q.application);
        const ranking = index
          .search(analyzer.terms(q.text))
          .filter((h) => !withinApplication || !own || own.has(String(h.slot)))
          .sort((a, b) => b.score - a.score || a.slot - b.slot)
          .slice(0, 10)
          .map((h) => String(h.slot));
        return withinApplication && own ? fillWithUnranked(ranking, own) : ranking;
      }),
  };
}

/**
 * BM25 with each combination of the analyzer steps (patent stop words, suffix folding, splitting glued
 * numerals) and k1 ∈ {0.9, 1.2, 1.5}, b ∈ {0.5, 0.75, 0.9}; the plain baseline first (chosen on ties).
 */
function lexicalGrid(task: RetrievalTask): { setting: string; label: string; measured: Measured }[] {
  const relevant = task.queries.map((q) => q.relevant);
  const grid: { setting: string; label: string; measured: Measured }[] = [];
  for (const k1 of [1.2, 0.9, 1.5])
    for (const b of [0.75, 0.5, 0.9])
      for (let steps = 0; steps < 8; steps++) {
        const options: Required<AnalyzerOptions> = {
          patentStopWords: (steps & 1) !== 0,
          stem: (steps & 2) !== 0,
          splitDigits: (steps & 4) !== 0,
        };
        const names = Object.entries(options)
          .filter(([, on]) => on)
          .map(([name]) => name);
        const label = `${names.length ? names.join('+') : 'plain'} k1 ${k1} b ${b}`;
        grid.push({
          setting: label,
          label,
          measured: measure(baselineBm25(task, options, { k1, b }).rank(), relevant),
        });
      }
  return grid;
}

/**
 * Within an application every candidate gets a place: the paragraphs a lexical search did not score
 * (no shared term) follow in corpus order, so that all rows rank the same candidates as the random order.
 */
function fillWithUnranked(ranking: string[], candidates: ReadonlySet<string>): string[] {
  const filled = [...ranking];
  const ranked = new Set(ranking);
  for (const id of [...candidates].sort((a, b) => Number(a) - Number(b))) {
    if (filled.length >= 10) break;
    if (!ranked.has(id)) filled.push(id);
  }
  return filled;
}

/** The exact expected figures of a random order of each query's application's paragraphs. */
function randomOrderRow(task: RetrievalTask): {
  mean: Omit<RetrievalMetrics, 'queries'>;
  /** Per query, the expected reciprocal rank and hit@10, for paired comparisons. */
  reciprocalRanks: number[];
  hits: number[];
} {
  const reciprocalRanks: number[] = [];
  const hits: number[] = [];
  const sums = {
    'accuracy@1': 0,
    'accuracy@3': 0,
    'accuracy@5': 0,
    'accuracy@10': 0,
    'mrr@10': 0,
    'ndcg@10': 0,
  };
  for (const q of task.queries) {
    const own = task.applicationPassages.get(q.application);
    const n = own?.size ?? task.passages.length;
    const r = own ? [...q.relevant].filter((id) => own.has(id)).length : q.relevant.size;
    const expected = randomOrderExpectation(n, r);
    for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += expected[key];
    reciprocalRanks.push(expected['mrr@10']);
    hits.push(expected['accuracy@10']);
  }
  for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] /= task.queries.length;
  return { mean: sums, reciprocalRanks, hits };
}

function denseFloat(task: RetrievalTask, passages: Float32Array[], queries: Float32Array[]): Measured {
  const rankings = queries.map((q) => {
    const scored = passages.map((p, i) => {
      let sum = 0;
      for (let d = 0; d < q.length; d++) sum += (q[d] ?? 0) * (p[d] ?? 0);
      return { i, sum };
    });
    return scored
      .sort((a, b) => b.sum - a.sum || a.i - b.i)
      .slice(0, 10)
      .map((s) => String(s.i));
  });
  return measure(
    rankings,
    task.queries.map((q) => q.relevant),
  );
}

async function embedElements(
  embedder: Embedder,
  task: RetrievalTask,
): Promise<(Float32Array[] | undefined)[]> {
  const elements = task.queries.map((q) => splitClaimElements(q.text).elements);
  const flat = elements.flatMap((e) => (e.length > 1 ? e : []));
  const vectors = flat.length ? await embedder.embed(flat, { kind: 'query', priority: 'background' }) : [];
  let offset = 0;
  return elements.map((e) => {
    if (e.length < 2) return undefined;
    const mine = vectors.slice(offset, offset + e.length);
    offset += e.length;
    return mine;
  });
}

/** MiniSearch with our analyzer and plain BM25 (d = 0), to compare it with our own index. */
function miniSearchMetrics(task: RetrievalTask): Measured {
  const analyzer = new Analyzer();
  const search = new MiniSearch<{ id: number; text: string }>({
    fields: ['text'],
    tokenize: (text) => analyzer.terms(text),
    processTerm: (term) => term,
    searchOptions: { bm25: { k: 1.2, b: 0.75, d: 0 } },
  });
  search.addAll(task.passages.map((text, id) => ({ id, text })));
  const rankings = task.queries.map((q) =>
    search
      .search(q.text)
      .slice(0, 10)
      .map((r) => String(r.id)),
  );
  return measure(
    rankings,
    task.queries.map((q) => q.relevant),
  );
}

interface Difference {
  difference: number;
  ci95: [number, number];
}

/** MRR@10 and accuracy@10 minus the baseline's, each with a 95 % paired-bootstrap interval over applications. */
function versusBaseline(
  row: EvalRow,
  baseline: EvalRow,
  groups: readonly string[],
): { mrr: Difference; accuracy: Difference } {
  const interval = (a: number[], b: number[]): Difference => {
    const { mean, low, high } = pairedBootstrap(a, b, BOOTSTRAP_ITERATIONS, BOOTSTRAP_SEED, groups);
    return { difference: round(mean), ci95: [round(low), round(high)] };
  };
  return {
    mrr: interval(row.reciprocalRanks, baseline.reciprocalRanks),
    accuracy: interval(row.hits, baseline.hits),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const metricKeys = ['accuracy@1', 'accuracy@3', 'accuracy@5', 'accuracy@10', 'mrr@10', 'ndcg@10'] as const;

function formatTable(
  rows: EvalRow[],
  baseline: EvalRow,
  groups: readonly string[],
  defaultName: string,
  randomOrder?: Omit<RetrievalMetrics, 'queries'>,
): string {
  const header = [
    'method',
    'acc@1',
    'acc@3',
    'acc@5',
    'acc@10',
    'MRR@10',
    'nDCG@10',
    'ΔMRR@10 [95% CI]',
    'Δacc@10 [95% CI]',
  ];
  const interval = formatDifference;
  const lines = rows.map((r) => {
    const vs = versusBaseline(r, baseline, groups);
    return [
      `${r.name}${r.default ? ' *' : ''}`,
      ...metricKeys.map((k) => r[k].toFixed(3)),
      r === baseline ? '' : interval(vs.mrr),
      r === baseline ? '' : interval(vs.accuracy),
    ];
  });
  if (randomOrder)
    lines.push([
      'random order (exact expectation)',
      ...metricKeys.map((k) => randomOrder[k].toFixed(3)),
      '',
      '',
    ]);
  const width = Math.max(...[header, ...lines].map((l) => (l[0] ?? '').length));
  const format = (l: string[]): string =>
    `${(l[0] ?? '').padEnd(width)}  ${l
      .slice(1)
      .map((c, i) => (i >= 6 ? `  ${c.padEnd(24)}` : c.padStart(7)))
      .join(' ')}`.trimEnd();
  const folds = rows
    .filter((r) => r.chosenPerFold)
    .map((r) => `  ${r.name}: chosen per fold ${(r.chosenPerFold ?? []).join(' | ')}`);
  return `${[header, ...lines].map(format).join('\n')}\n* = the extension's default: ${defaultName}\n${folds.length ? `${folds.join('\n')}\n` : ''}`;
}

function formatDifference(d: Difference): string {
  return `${sign(d.difference)} [${sign(d.ci95[0])}, ${sign(d.ci95[1])}]`;
}

function sign(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}
