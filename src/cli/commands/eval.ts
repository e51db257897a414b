import { readFile } from 'node:fs/promises';
import MiniSearch from 'minisearch';
import type { Embedder } from '../../core/embedding';
import {
  Analyzer,
  BASELINE_ANALYZER,
  PRODUCT_ANALYZER,
  type AnalyzerOptions,
} from '../../core/search/analyzer';
import { Bm25Index, BASELINE_BM25, PRODUCT_BM25, type Bm25Parameters } from '../../core/search/bm25';
import { splitClaimElements } from '../../core/search/claim-query';
import { DEFAULT_FUSION, fusionForModel, type FusionOptions } from '../../core/search/fusion';
import { DEFAULT_FEEDBACK, FEEDBACK_BY_DEFAULT, type FeedbackOptions } from '../../core/search/feedback';
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
import { DEFAULT_DOCUMENT_EVIDENCE, type DocumentEvidenceOptions } from '../../core/search/document-evidence';
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
  /** For a cross-validated row: the setting chosen on all applications (what the product should use). */
  chosenOnAll?: string;
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
          chosenOnAll: result.chosenOnAll.label,
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
      const defaultHybrid =
        `hybrid (${describeFusion(modelFusion)}, ${statesWeight ? "the model's weight" : 'global default'})` +
        ` + ${productSteps}`;
      const productLexical = `lexical + ${productSteps}`;
      const productHybrid = `hybrid + ${productSteps}`;
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

        // Paragraphs are grouped into documents by cited_document_id, as the workspace groups them by file.
        const buildCorpus = (
          analyzer = new Analyzer(),
          bm25: Bm25Parameters = PRODUCT_BM25,
        ): PassageCorpus => {
          const built = new PassageCorpus(embedder.dims, analyzer, undefined, bm25);
          task.passages.forEach((passage, i) => {
            // A line without cited_document_id: the paragraph is a document of its own.
            const document = task.documents[i] || `paragraph ${i}`;
            built.add({
              uri: document,
              documentLabel: document,
              paragraphId: String(i),
              text: passage,
              range: emptyRange,
              hash: String(i),
            });
            built.vectors.set(String(i), [passageVectors[i] as Float32Array]);
          });
          return built;
        };
        const corpus = buildCorpus();
        const run = (spec: RunSpec): Measured => {
          const searched = spec.corpus ?? corpus;
          const rankings = task.queries.map((q, i) => {
            const own = spec.withinApplication ? task.applicationPassages.get(q.application) : undefined;
            const elements = spec.elements?.[i];
            const ranking = searched
              .search({
                mode: spec.mode,
                topK: 10,
                queryText: q.text,
                queryVector: queryVectors[i],
                roleOf: () => 'prior-art',
                explain: false,
                ...(own ? { accept: (record) => own.has(record.paragraphId) } : {}),
                ...(spec.fusion ? { fusion: spec.fusion } : {}),
                ...(spec.feedback ? { feedback: spec.feedback } : {}),
                ...(spec.documents ? { documents: spec.documents } : {}),
                ...(elements
                  ? {
                      elements: elements.map((vector) => ({ text: '', vector })),
                      elementWeight: spec.elementWeight,
                    }
                  : {}),
              })
              .hits.map((hit) => hit.paragraphId);
            return own ? fillWithUnranked(ranking, own) : ranking;
          });
          return measure(rankings, relevant);
        };
        // The lexical steps the product runs by default; the rows "by CV" below vary one thing at a time
        // around them, then everything jointly.
        const product: Pick<RunSpec, 'feedback' | 'documents'> = {
          documents: DEFAULT_DOCUMENT_EVIDENCE,
          ...(FEEDBACK_BY_DEFAULT ? { feedback: DEFAULT_FEEDBACK } : {}),
        };
        started = performance.now();
        const lexical = run({ mode: 'lexical' });
        rows.push({ name: 'lexical, claim only', ...lexical });
        rows.push({ name: 'dense', ...run({ mode: 'dense' }) });
        rows.push({
          name: `hybrid (${describeFusion(DEFAULT_FUSION)}), claim only`,
          ...run({ mode: 'hybrid' }),
        });
        const lexicalFeedback = run({ mode: 'lexical', feedback: DEFAULT_FEEDBACK });
        rows.push({ name: `lexical + feedback (${describeFeedback(DEFAULT_FEEDBACK)})`, ...lexicalFeedback });
        const withFeedback = { feedback: DEFAULT_FEEDBACK, documents: DEFAULT_DOCUMENT_EVIDENCE };
        const lexicalBoth = run({ mode: 'lexical', ...withFeedback });
        const lexicalDocuments = run({ mode: 'lexical', documents: DEFAULT_DOCUMENT_EVIDENCE });
        rows.push({
          name: `lexical + documents (${describeDocuments(DEFAULT_DOCUMENT_EVIDENCE)})`,
          ...lexicalDocuments,
        });
        rows.push({ name: 'lexical + feedback + documents', ...lexicalBoth });
        rows.push({
          name: defaultHybrid,
          ...run({ mode: 'hybrid', fusion: modelFusion, ...product }),
          default: true,
        });

        // Every tuned number, chosen by grouped CV; the simpler setting first (kept on ties).
        rows.push(
          crossValidated('lexical: analyzer + BM25 by CV (baseline | product)', [
            { setting: 'baseline', label: 'baseline', measured: rows[0] as Measured },
            { setting: 'product', label: 'product', measured: lexical },
          ]),
        );
        rows.push(crossValidated('lexical: analyzer steps + k1, b by CV (72 settings)', lexicalGrid(task)));
        // RM3's own numbers (paragraphs, terms, weight) are the textbook ones and were not tuned: over a
        // 54-setting grid (`--compare`) the folds pick different settings and lose out of fold. CV decides
        // whether feedback runs and whether its document-share cap stays.
        const noCap = { ...DEFAULT_FEEDBACK, maxDocumentShare: 1 };
        rows.push(
          crossValidated('lexical + documents: feedback off | on | on without df cap by CV', [
            { setting: 'off', label: 'off', measured: lexicalDocuments },
            { setting: 'on', label: 'on', measured: lexicalBoth },
            {
              setting: 'no cap',
              label: 'on without df cap',
              measured: run({ mode: 'lexical', documents: DEFAULT_DOCUMENT_EVIDENCE, feedback: noCap }),
            },
          ]),
        );
        rows.push(
          crossValidated(
            `${productLexical}: documents off | others | best × weight by CV (${documentSettings.length})`,
            documentSettings.map((documents) => ({
              setting: documents,
              label: describeDocuments(documents),
              measured: run({ mode: 'lexical', ...product, documents }),
            })),
          ),
        );
        const analyzerRuns = analyzerVariants().map((variant) => ({
          setting: variant.label,
          label: variant.label,
          measured: run({
            mode: 'lexical',
            ...product,
            corpus: buildCorpus(new Analyzer(variant.options)),
          }),
        }));
        rows.push(crossValidated(`${productLexical}: analyzer steps by CV (8 settings)`, analyzerRuns));
        const bm25Runs = bm25Variants.map((parameters) => ({
          setting: parameters,
          label: `k1 ${parameters.k1} b ${parameters.b}`,
          measured: run({
            mode: 'lexical',
            ...product,
            corpus: buildCorpus(new Analyzer(), parameters),
          }),
        }));
        rows.push(
          crossValidated(`${productLexical}: k1, b by CV (${bm25Variants.length} settings)`, bm25Runs),
        );
        rows.push(
          crossValidated(
            `${productHybrid}: linear weight by CV (0 … 0.5)`,
            linearWeights.map((denseWeight) => {
              const fusion: FusionOptions = { method: 'linear', denseWeight, rrfK: 60 };
              return {
                setting: fusion,
                label: describeFusion(fusion),
                measured: run({ mode: 'hybrid', fusion, ...product }),
              };
            }),
          ),
        );
        rows.push(
          crossValidated(
            'hybrid, claim only: linear weight by CV (0 … 0.5)',
            linearWeights.map((denseWeight) => {
              const fusion: FusionOptions = { method: 'linear', denseWeight, rrfK: 60 };
              return {
                setting: fusion,
                label: describeFusion(fusion),
                measured: run({ mode: 'hybrid', fusion }),
              };
            }),
          ),
        );
        // The one-at-a-time rows above hold the other settings at the product's values, which were
        // themselves chosen on all of dev; this row chooses everything at once, on four folds each time.
        const jointRuns: { setting: string; label: string; measured: Measured }[] = [];
        for (const analyzerOptions of [BASELINE_ANALYZER, PRODUCT_ANALYZER])
          for (const bm25 of [BASELINE_BM25, PRODUCT_BM25]) {
            const jointCorpus = buildCorpus(new Analyzer(analyzerOptions), bm25);
            for (const feedback of [undefined, DEFAULT_FEEDBACK])
              for (const documents of jointDocumentSettings)
                for (const denseWeight of [0, 0.2]) {
                  const label =
                    `${analyzerOptions === PRODUCT_ANALYZER ? 'product' : 'plain'} analyzer, ` +
                    `k1 ${bm25.k1} b ${bm25.b}, feedback ${feedback ? 'on' : 'off'}, ` +
                    `documents ${describeDocuments(documents)}, dense w ${denseWeight}`;
                  jointRuns.push({
                    setting: label,
                    label,
                    measured: run({
                      mode: 'hybrid',
                      fusion: { method: 'linear', denseWeight, rrfK: 60 },
                      corpus: jointCorpus,
                      documents,
                      ...(feedback ? { feedback } : {}),
                    }),
                  });
                }
          }
        rows.push(crossValidated(`all of the above jointly by CV (${jointRuns.length} settings)`, jointRuns));
        within.push({ name: 'lexical, claim only', ...run({ mode: 'lexical', withinApplication: true }) });
        within.push({ name: 'dense', ...run({ mode: 'dense', withinApplication: true }) });
        within.push({
          name: productLexical,
          ...run({ mode: 'lexical', ...product, withinApplication: true }),
        });
        within.push({
          name: defaultHybrid,
          ...run({ mode: 'hybrid', fusion: modelFusion, ...product, withinApplication: true }),
          default: true,
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
            measured: run({ mode: 'hybrid', fusion, ...product }),
          }));
          for (const f of fusionRuns.slice(1))
            rows.push({ name: `${productHybrid} (${f.label})`, ...f.measured });
          rows.push(crossValidated(`${productHybrid}: fusion method + weight by CV`, fusionRuns));
          const elementVectors = await embedElements(embedder, task);
          const split = elementVectors.filter((v) => v !== undefined).length;
          const elementRuns = [0, 0.1, 0.2, 0.4].map((weight) => ({
            setting: weight,
            label: `elements w${weight}`,
            measured: run({
              mode: 'hybrid',
              fusion: modelFusion,
              elements: elementVectors,
              elementWeight: weight,
              ...product,
            }),
          }));
          for (const e of elementRuns.slice(1))
            rows.push({
              name: `default + ${e.label} (${split}/${task.queries.length} claims split)`,
              ...e.measured,
            });
          rows.push(crossValidated('default + elements: weight by CV (0 … 0.4)', elementRuns));
          rows.push({ name: 'lexical via MiniSearch (same analyzer)', ...miniSearchMetrics(task) });
          const feedbackGrid: { setting: FeedbackOptions | undefined; label: string }[] = [
            { setting: undefined, label: 'none' },
          ];
          for (const maxDocumentShare of [0.1, 1])
            for (const paragraphs of [10, 5, 20])
              for (const terms of [20, 10, 40])
                for (const weight of [0.5, 0.3, 0.7])
                  feedbackGrid.push({ setting: { paragraphs, terms, weight, maxDocumentShare }, label: '' });
          for (const f of feedbackGrid) if (f.setting) f.label = describeFeedback(f.setting);
          const feedbackRuns = feedbackGrid.map((f) => ({
            ...f,
            measured: run({
              mode: 'lexical',
              documents: DEFAULT_DOCUMENT_EVIDENCE,
              ...(f.setting ? { feedback: f.setting } : {}),
            }),
          }));
          rows.push(
            crossValidated(
              `lexical + documents + feedback: off | paragraphs × terms × weight × df cap by CV (${feedbackGrid.length})`,
              feedbackRuns,
            ),
          );
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
const noDocuments: DocumentEvidenceOptions = { weight: 0, from: 'best' };
/** Off first (kept on ties), then both definitions of the document's score over a range of weights. */
const documentSettings: DocumentEvidenceOptions[] = [
  noDocuments,
  ...[0.3, 0.5].map((weight) => ({ weight, from: 'others' as const })),
  ...[0.3, 0.5, 0.7, 0.8, 0.9].map((weight) => ({ weight, from: 'best' as const })),
];
const jointDocumentSettings: DocumentEvidenceOptions[] = [
  noDocuments,
  { weight: 0.5, from: 'others' },
  ...[0.5, 0.7, 0.9].map((weight) => ({ weight, from: 'best' as const })),
];

/** The product's default lexical steps, as a row name. */
const productSteps = `${FEEDBACK_BY_DEFAULT ? 'feedback + ' : ''}documents (${describeDocuments(DEFAULT_DOCUMENT_EVIDENCE)})`;

function describeDocuments(d: DocumentEvidenceOptions): string {
  return d.weight === 0 ? 'off' : `${d.from} w ${d.weight}`;
}
const bm25Variants: Bm25Parameters[] = [
  PRODUCT_BM25,
  BASELINE_BM25,
  ...[0.9, 1.2, 1.5].flatMap((k1) => [0.5, 0.75, 0.9].map((b) => ({ k1, b }))),
].filter((p, i, all) => all.findIndex((q) => q.k1 === p.k1 && q.b === p.b) === i);

interface RunSpec {
  mode: SearchMode;
  fusion?: FusionOptions;
  elements?: (Float32Array[] | undefined)[];
  elementWeight?: number;
  withinApplication?: boolean;
  feedback?: FeedbackOptions;
  documents?: DocumentEvidenceOptions;
  /** Another corpus (other analyzer or BM25 parameters); default: the product's. */
  corpus?: PassageCorpus;
}

function describeFeedback(f: FeedbackOptions): string {
  return `RM3 ${f.paragraphs} paragraphs, ${f.terms} terms, w ${f.weight}, df ≤ ${f.maxDocumentShare}`;
}

/** Every combination of the analyzer's three steps, plain first, each named by its steps. */
function analyzerStepCombinations(): { label: string; options: Required<AnalyzerOptions> }[] {
  return Array.from({ length: 8 }, (_, steps) => {
    const options: Required<AnalyzerOptions> = {
      patentStopWords: (steps & 1) !== 0,
      stem: (steps & 2) !== 0,
      splitDigits: (steps & 4) !== 0,
    };
    const names = Object.entries(options)
      .filter(([, on]) => on)
      .map(([name]) => name);
    return { label: names.length ? names.join('+') : 'plain', options };
  });
}

/** The product analyzer first (kept on ties), then every other combination of its three steps. */
function analyzerVariants(): { label: string; options: Required<AnalyzerOptions> }[] {
  const variants = analyzerStepCombinations().reverse();
  const isProduct = (o: Required<AnalyzerOptions>): boolean =>
    (Object.keys(PRODUCT_ANALYZER) as (keyof AnalyzerOptions)[]).every((k) => o[k] === PRODUCT_ANALYZER[k]);
  return [...variants.filter((v) => isProduct(v.options)), ...variants.filter((v) => !isProduct(v.options))];
}

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
  parameters: Bm25Parameters = BASELINE_BM25,
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
      for (const { label: steps, options } of analyzerStepCombinations()) {
        const label = `${steps} k1 ${k1} b ${b}`;
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
    .map(
      (r) =>
        `  ${r.name}: chosen per fold ${(r.chosenPerFold ?? []).join(' | ')}; on all applications ${r.chosenOnAll ?? ''}`,
    );
  return `${[header, ...lines].map(format).join('\n')}\n* = the extension's default: ${defaultName}\n${folds.length ? `${folds.join('\n')}\n` : ''}`;
}

function formatDifference(d: Difference): string {
  return `${sign(d.difference)} [${sign(d.ci95[0])}, ${sign(d.ci95[1])}]`;
}

function sign(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}
