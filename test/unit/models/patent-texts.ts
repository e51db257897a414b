/**
 * Real patent text for the model tests and benchmark, read from the shared data folder (../shared/data,
 * see its README): PatentMatch dev claims and paragraphs, and claims/paragraphs of the USPTO and EPO XML
 * documents (plain text pulled out with a regular expression: enough for model inputs, not a parser).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// The repository's sibling folder shared/ (CI has it at the same place).
export const SHARED_DATA = resolve(dirname(__filename), '..', '..', '..', '..', 'shared', 'data');
export const PATENTMATCH_DEV = join(SHARED_DATA, 'patentmatch', 'dev.jsonl');

export interface PatentMatchRow {
  text: string;
  text_b: string;
  label: number;
  claim_id?: string;
}

export function readPatentMatchDev(): PatentMatchRow[] {
  return readFileSync(PATENTMATCH_DEV, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      const row = JSON.parse(line) as PatentMatchRow;
      if (typeof row.text !== 'string' || typeof row.text_b !== 'string') throw new Error(`${PATENTMATCH_DEV}:${i + 1}: no text/text_b`);
      return row;
    });
}

/** Distinct claims and distinct paragraphs of the dev set, in file order. */
export function devTexts(): { claims: string[]; paragraphs: string[] } {
  const rows = readPatentMatchDev();
  return { claims: [...new Set(rows.map((r) => r.text))], paragraphs: [...new Set(rows.map((r) => r.text_b))] };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function plainText(xml: string): string {
  return xml
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, name: string) => {
      if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
      return ENTITIES[name] ?? all;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** Claims and description paragraphs of every XML document under uspto/ and ep/ (all languages). */
export function xmlTexts(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const folder of ['uspto', 'ep']) {
    const dir = join(SHARED_DATA, folder);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.xml')).sort()) {
      const xml = readFileSync(join(dir, name), 'utf8');
      for (const match of xml.matchAll(/<(claim|p)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
        const text = plainText(match[2] ?? '');
        if (text.length >= 20) out.push({ file: `${folder}/${name}`, text });
      }
    }
  }
  return out;
}

/** Picks `count` items spread evenly over the list (deterministic). */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)] as T);
}
