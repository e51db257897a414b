/** Shared helpers for the embedding and model-build tests: real patent text, synthetic model folders. */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { exportBertCheckpoint, type BertConfig } from '../../../src/modelbuild/bert';
import { writeSyntheticCheckpoint, type BertShape } from '../../../src/modelbuild/synthetic';
import type { Weights } from './reference-bert';

/** The bootstrap that runs src/core/embedding/worker.ts through tsx in a worker thread. */
export const TEST_WORKER = join(__dirname, 'worker-bootstrap.cjs');

export const DEV_SET = join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'patentmatch', 'dev.jsonl');

let devCache: { paragraphs: string[]; claims: string[] } | undefined;
/** The distinct paragraphs (`text_b`) and claims (`text`) of the PatentMatch dev set. */
export function devTexts(): { paragraphs: string[]; claims: string[] } {
  if (!devCache) {
    const rows = readFileSync(DEV_SET, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { text: string; text_b: string });
    devCache = {
      paragraphs: [...new Set(rows.map((r) => r.text_b))],
      claims: [...new Set(rows.map((r) => r.text))],
    };
  }
  return devCache;
}

/** The most frequent lower-cased words of the dev paragraphs. */
export function patentWords(limit: number): string[] {
  const counts = new Map<string, number>();
  for (const text of devTexts().paragraphs) {
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
      counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([w]) => w);
}

export const TINY_SHAPE: BertShape = { hidden: 32, layers: 2, heads: 4, intermediate: 64, maxPositions: 64 };

export interface TestModel {
  dir: string;
  config: BertConfig;
  weights: Weights;
  /** Token ids with [CLS]/[SEP], as the model's tokenizer.json gives them (no truncation). */
  encode(text: string): number[];
}

/** Writes a synthetic checkpoint into `dir` and exports it to model.onnx with our exporter. */
export async function makeModelFolder(
  dir: string,
  options: {
    shape: BertShape;
    words: string[];
    pooling?: 'cls' | 'mean' | 'max';
    seed?: number;
    maxSeqLength?: number;
    prefixed?: boolean;
    vocabSize?: number;
  },
): Promise<TestModel> {
  const { config, weights } = await writeSyntheticCheckpoint(dir, options);
  await exportBertCheckpoint(dir);
  const tokenizer = new Tokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')), {});
  return { dir, config, weights, encode: (text) => tokenizer.encode(text).ids };
}

export async function tempDir(
  prefix = 'pp-embedding-',
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2));
}

/** Largest absolute difference between two vectors of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}
