/**
 * The fuzz and bomb campaign (`npm run fuzz`; not part of `npm test`): generated and mutated documents of
 * every format (scripts/fuzz/mutations.ts) through the public `parseDocument` path, i.e. the document
 * worker with its deadline and heap limit. Each input must parse or fail with a `DocumentError`.
 *
 *   npm run fuzz -- [--seed N] [--count N] [--formats uspto-xml,epo-xml,us-2001,greenbook,text,markdown,docx,pdf]
 *                   [--deadline-ms N] [--save DIR] [--summary FILE]
 *
 * Counted: parsed; refused (`DocumentError`, by problem); crashes (anything else, a `DocumentError`
 * 'unreadable', which wraps a failure no check foresaw, or a worker that died of something other than a
 * limit); hangs (the deadline fired); out-of-memory (the worker's heap limit fired: bounded, but reported).
 * Printed: throughput, the peak RSS of the process while each input was parsed (max, p99, median; the
 * worker is a thread of this process) and the slowest inputs. `--save DIR` writes every crash or hang
 * input there; any input can also be made again from `--seed` and its number.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentError, DocumentParser, documentThreadStats } from '../../src/core/documents/index';
import { DOCUMENT_DEADLINE_MS } from '../../src/core/documents/document-thread';
import { FORMATS, loadSeeds, makeInput, random, type FuzzFormat } from './mutations';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const seed = Number(option('--seed') ?? 1);
const count = Number(option('--count') ?? 10_000);
const deadlineMs = Number(option('--deadline-ms') ?? DOCUMENT_DEADLINE_MS);
const formats = (option('--formats')?.split(',') ?? [...FORMATS]) as FuzzFormat[];
const saveDir = option('--save');
const summaryFile = option('--summary');
for (const format of formats) {
  if (!FORMATS.includes(format)) {
    console.error(`unknown format ${format}; known: ${FORMATS.join(', ')}`);
    process.exit(2);
  }
}

interface Finding {
  n: number;
  name: string;
  label: string;
  kind: 'crash' | 'hang' | 'out-of-memory';
  message: string;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const seeds = loadSeeds(formats);
  if (seeds.length === 0) throw new Error(`no seed documents for ${formats.join(', ')}`);
  const next = random(seed);
  const parser = new DocumentParser(undefined, { deadlineMs });
  const outcomes = new Map<string, number>();
  const byFormat = new Map<string, { inputs: number; parsed: number }>();
  const findings: Finding[] = [];
  const peaks: number[] = [];
  const growths: number[] = [];
  const slowest: { ms: number; what: string }[] = [];
  let bytesIn = 0;
  const started = performance.now();
  const statsBefore = documentThreadStats();
  for (let n = 0; n < count; n++) {
    const input = makeInput(seeds, next);
    bytesIn += input.bytes.length;
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const t0 = performance.now();
    let outcome: string;
    try {
      const document = await parser.parse(input.bytes, input.name, {});
      if (!Array.isArray(document.claims) || !Array.isArray(document.paragraphs))
        throw new Error('a document without claims or paragraphs arrays');
      outcome = 'parsed';
    } catch (error) {
      if (error instanceof DocumentError && error.problem !== 'unreadable') {
        outcome = `DocumentError ${error.problem}`;
        const kind =
          error.problem === 'timeout'
            ? 'hang'
            : /memory/.test(error.detail) && error.problem === 'too-large'
              ? 'out-of-memory'
              : undefined;
        if (kind) findings.push({ n, name: input.name, label: input.label, kind, message: error.message });
      } else {
        outcome = 'crash';
        const cause = error instanceof DocumentError && error.cause instanceof Error ? error.cause : error;
        findings.push({
          n,
          name: input.name,
          label: input.label,
          kind: 'crash',
          message: (cause as Error)?.stack ?? String(cause),
        });
      }
    }
    const ms = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    peaks.push(peak / MB);
    growths.push((peak - baseline) / MB);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const format = byFormat.get(input.format) ?? { inputs: 0, parsed: 0 };
    format.inputs++;
    if (outcome === 'parsed') format.parsed++;
    byFormat.set(input.format, format);
    slowest.push({ ms, what: `#${n} ${input.name}: ${input.label}` });
    slowest.sort((a, b) => b.ms - a.ms).splice(5);
    const finding = findings.at(-1);
    if (finding?.n === n) {
      console.log(`#${n} ${finding.kind}: ${input.name} (${input.label}): ${finding.message.split('\n')[0]}`);
      if (saveDir && finding.kind !== 'out-of-memory') {
        mkdirSync(saveDir, { recursive: true });
        writeFileSync(join(saveDir, `${seed}-${n}-${input.name}`), input.bytes);
      }
    }
    if ((n + 1) % 500 === 0) {
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `… ${n + 1}/${count} inputs in ${seconds.toFixed(0)} s, peak RSS so far ${Math.max(...peaks).toFixed(0)} MB`,
      );
    }
  }
  await parser.dispose();
  const seconds = (performance.now() - started) / 1000;
  const sortedPeaks = [...peaks].sort((a, b) => a - b);
  const sortedGrowths = [...growths].sort((a, b) => a - b);
  const statsAfter = documentThreadStats();
  const crashes = findings.filter((f) => f.kind === 'crash').length;
  const hangs = findings.filter((f) => f.kind === 'hang').length;
  const oom = findings.filter((f) => f.kind === 'out-of-memory').length;
  const lines = [
    `fuzz campaign: seed ${seed}, ${count} inputs over ${formats.join(', ')} (${seeds.length} seed files), deadline ${deadlineMs / 1000} s`,
    `  ${crashes} crashes, ${hangs} hangs (deadline hits), ${oom} out-of-memory (heap limit hits)`,
    `  outcomes: ${[...outcomes]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  by format (inputs/parsed): ${[...byFormat].map(([k, v]) => `${k} ${v.inputs}/${v.parsed}`).join(', ')}`,
    `  ${seconds.toFixed(0)} s: ${(count / seconds).toFixed(1)} inputs/s, ${(bytesIn / MB / seconds).toFixed(2)} MB/s (${(bytesIn / MB).toFixed(0)} MB in)`,
    `  peak process RSS per input: max ${quantile(sortedPeaks, 1).toFixed(0)} MB, p99 ${quantile(sortedPeaks, 0.99).toFixed(0)} MB, median ${quantile(sortedPeaks, 0.5).toFixed(0)} MB`,
    `  RSS growth during one input: max ${quantile(sortedGrowths, 1).toFixed(0)} MB, p99 ${quantile(sortedGrowths, 0.99).toFixed(0)} MB`,
    `  workers started ${statsAfter.workersStarted - statsBefore.workersStarted}, recycled ${statsAfter.workersRecycled - statsBefore.workersRecycled}`,
    `  slowest: ${slowest.map((s) => `${(s.ms / 1000).toFixed(1)} s ${s.what}`).join(' | ')}`,
  ];
  console.log(lines.join('\n'));
  if (summaryFile) writeFileSync(summaryFile, `${lines.join('\n')}\n`);
  process.exitCode = crashes > 0 || hangs > 0 ? 1 : 0;
}

void main();
