import { readFile } from 'node:fs/promises';
import MiniSearch from 'minisearch';
import type { Embedder } from '../../core/embedding';
import { Analyzer, BASELINE_ANALYZER } from '../../core/search/analyzer';
import { Bm25Index } from '../../core/search/bm25';
import { splitClaimElements } from '../../core/search/claim-query';
import type { FusionOptions } from '../../core/search/fusion';
import { DEFAULT_FUSION } from '../../core/search/fusion';
import {
  buildRetrievalTask,
  pairedBootstrap,
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

Options:
  --pairs FILE        the JSON lines file (required)
  --model DIR         model folder (default: the bundled models/use-lite-en)
  --long-text MODE    window-mean (default) | truncate | window-max
  --compare           also measure alternatives: float32 vs int8 vectors, fusion methods and
                      weights, element-wise matching, MiniSearch as the BM25 engine
  --json              print JSON
`;

interface Measured extends RetrievalMetrics {
  /** Per query, for the paired comparison with the baseline; not printed. */
  reciprocalRanks: number[];
}

interface EvalRow extends Measured {
  name: string;
}

function measure(rankings: string[][], relevant: Set<string>[]): Measured {
  return { ...retrievalMetrics(rankings, relevant), reciprocalRanks: reciprocalRanks(rankings, relevant) };
}

export function createEvalCommand(paths: CliPaths): CliCommand {
  return {
    name: 'eval',
    summary: 'measure retrieval quality on PatentMatch-format pairs',
    usage,
    async run(args: string[], io: CliIo): Promise<number> {
      const { values, flags } = parseArgs(args, {
        values: ['--pairs', '--model', '--long-text', '--threads'],
        flags: ['--json', '--compare'],
      });
      const file = values.get('--pairs');
      if (!file) throw new CliError('--pairs FILE is required', 2);
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

      const rows: EvalRow[] = [];
      const timings: Record<string, number> = {};
      rows.push({ name: 'baseline-bm25', ...baselineMetrics(task) });

      const embedder = await openEmbedder(paths, {
        model: values.get('--model'),
        longText: longTextMode(values.get('--long-text')),
        logger: stderrLogger(io, false),
      });
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
          corpus.add({
            uri: 'pairs',
            documentLabel: 'pairs',
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
        ): Measured => {
          const rankings = task.queries.map((q, i) =>
            corpus
              .search({
                mode,
                topK: 10,
                queryText: q.text,
                queryVector: queryVectors[i],
                roleOf: () => 'prior-art',
                ...(fusion ? { fusion } : {}),
                ...(elements?.[i]
                  ? { elements: elements[i].map((vector) => ({ text: '', vector })), elementWeight }
                  : {}),
              })
              .map((hit) => hit.paragraphId),
          );
          return measure(
            rankings,
            task.queries.map((q) => q.relevant),
          );
        };
        started = performance.now();
        rows.push({ name: 'lexical', ...run('lexical') });
        rows.push({ name: 'dense', ...run('dense') });
        rows.push({ name: `hybrid (${describeFusion(DEFAULT_FUSION)})`, ...run('hybrid') });
        timings.searchMs = performance.now() - started;

        if (flags.has('--compare')) {
          rows.push({
            name: 'dense float32 (no quantisation)',
            ...denseFloat(task, passageVectors, queryVectors),
          });
          for (const fusion of comparedFusions)
            rows.push({ name: `hybrid (${describeFusion(fusion)})`, ...run('hybrid', fusion) });
          const elementVectors = await embedElements(embedder, task);
          const split = elementVectors.filter((v) => v !== undefined).length;
          for (const weight of [0.1, 0.2, 0.4]) {
            rows.push({
              name: `hybrid + elements w${weight} (${split}/${task.queries.length} claims split)`,
              ...run('hybrid', undefined, elementVectors, weight),
            });
          }
          rows.push({ name: 'lexical via MiniSearch (same analyzer)', ...miniSearchMetrics(task) });
        }
      } finally {
        await embedder.dispose();
      }

      const baseline = rows[0] as EvalRow;
      const output = {
        pairs: file,
        passages: task.passages.length,
        queries: task.queries.length,
        model: embedder.modelId,
        rows: rows.map(({ reciprocalRanks: _perQuery, ...row }) => ({
          ...row,
          'mrr@10 vs baseline': bootstrapVsBaseline({ ...row, reciprocalRanks: _perQuery }, baseline),
        })),
        timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
      };
      if (flags.has('--json'))
        io.stdout(
          `${JSON.stringify(output, (_, v: unknown) => (typeof v === 'number' ? round(v) : v), 1)}\n`,
        );
      else io.stdout(formatTable(output.model, task, rows, baseline));
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
  const analyzer = new Analyzer(BASELINE_ANALYZER);
  const index = new Bm25Index();
  task.passages.forEach((p, i) => index.add(i, analyzer.terms(p)));
  const rankings = task.queries.map((q) =>
    index
      .search(analyzer.terms(q.text))
      .sort((a, b) => b.score - a.score || a.slot - b.slot)
      .slice(0, 10)
      .map((h) => String(h.slot)),
  );
  return measure(
    rankings,
    task.queries.map((q) => q.relevant),
  );
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

/** MRR@10 minus the baseline's, with a 95 % paired-bootstrap interval over the queries. */
function bootstrapVsBaseline(
  row: EvalRow,
  baseline: EvalRow,
): { difference: number; ci95: [number, number] } {
  const { mean, low, high } = pairedBootstrap(row.reciprocalRanks, baseline.reciprocalRanks);
  return { difference: round(mean), ci95: [round(low), round(high)] };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function formatTable(model: string, task: RetrievalTask, rows: EvalRow[], baseline: EvalRow): string {
  const header = ['method', 'acc@1', 'acc@3', 'acc@5', 'acc@10', 'MRR@10', 'nDCG@10', 'ΔMRR [95% CI]'];
  const lines = rows.map((r) => {
    const delta = bootstrapVsBaseline(r, baseline);
    return [
      r.name,
      ...(['accuracy@1', 'accuracy@3', 'accuracy@5', 'accuracy@10', 'mrr@10', 'ndcg@10'] as const).map((k) =>
        r[k].toFixed(3),
      ),
      r === baseline ? '' : `${sign(delta.difference)} [${sign(delta.ci95[0])}, ${sign(delta.ci95[1])}]`,
    ];
  });
  const width = Math.max(...[header, ...lines].map((l) => (l[0] ?? '').length));
  const format = (l: string[]): string =>
    `${(l[0] ?? '').padEnd(width)}  ${l
      .slice(1)
      .map((c, i) => (i === 6 ? `  ${c}` : c.padStart(7)))
      .join(' ')}`;
  return `${task.queries.length} queries, ${task.passages.length} passages, model ${model}\n${[header, ...lines].map(format).join('\n')}\n`;
}

function sign(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}
