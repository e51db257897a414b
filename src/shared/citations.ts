/**
 * Citations in the examiner's style ("D1: US 8,926,509 B2, paragraph [0012]") and list exports.
 * Pure functions over the view models: used by the host (clipboard, export) and shown by the webviews.
 */
import type { ResultItem, ResultsView } from './protocol';

const withThousands = (digits: string): string =>
  String(Number(digits)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * A publication number written the way search reports print it:
 * "US8926509B2" → "US 8,926,509 B2", "US20050004437A1" → "US 2005/0004437 A1",
 * "USRE28451E" → "US RE28,451 E", "USD456789S" → "US D456,789 S",
 * "EP1234567A1" → "EP 1 234 567 A1", "WO2005012345A1" → "WO 2005/012345 A1". Anything else is returned
 * unchanged (a file name, an unknown office's number).
 */
export function formatPublicationNumber(raw: string): string {
  const compact = raw.replace(/[\s,./-]/g, '').toUpperCase();
  // US reissues, designs, plants, SIRs and defensive publications carry a letter prefix before the number.
  const prefixed = /^US(RE|PP|D|H|T)(\d+)([A-Z]\d?)?$/.exec(compact);
  if (prefixed) {
    const [, prefix, digits, kind] = prefixed as unknown as [string, string, string, string | undefined];
    return `US ${prefix}${withThousands(digits)}${kind ? ` ${kind}` : ''}`;
  }
  const m = /^([A-Z]{2})(\d+)([A-Z]\d?)?$/.exec(compact);
  if (!m) return raw;
  const [, country, digits, kind] = m as unknown as [string, string, string, string | undefined];
  const suffix = kind ? ` ${kind}` : '';
  if (country === 'US') {
    if (digits.length === 11 && /^(19|20)\d\d/.test(digits)) {
      return `US ${digits.slice(0, 4)}/${digits.slice(4)}${suffix}`;
    }
    return `US ${withThousands(digits)}${suffix}`;
  }
  if (country === 'WO' && digits.length >= 10 && /^(19|20)\d\d/.test(digits)) {
    return `WO ${digits.slice(0, 4)}/${digits.slice(4)}${suffix}`;
  }
  if (country === 'EP' && digits.length === 7) {
    return `EP ${digits.slice(0, 1)} ${digits.slice(1, 4)} ${digits.slice(4)}${suffix}`;
  }
  return `${country} ${digits}${suffix}`;
}

/** What a label for a paragraph numbered in reading order starts with (Green Book grants print no numbers). */
export const READING_ORDER_PREFIX = 'col./para. ';

/**
 * "[0012]" for a printed paragraph number; "col./para. 12" for a paragraph of a format that prints none,
 * numbered in reading order (id `r12`, see `Paragraph.numbering`); "paragraph 5" (its position) for an
 * unnumbered paragraph of a draft.
 */
export function paragraphLabel(paragraphNumber: string | undefined, paragraphId: string): string {
  if (paragraphNumber) return `[${paragraphNumber}]`;
  const readingOrder = /^r(\d+)$/.exec(paragraphId)?.[1];
  if (readingOrder) return `${READING_ORDER_PREFIX}${readingOrder}`;
  const ordinal = /^o(\d+)$/.exec(paragraphId)?.[1];
  return ordinal ? `paragraph ${ordinal}` : paragraphId;
}

/**
 * Citation keys per distinct document (keyed by `documentKey ?? uri`), in order of first appearance: prior art gets D1, D2, …; the
 * drafter's own specification gets "Spec." (it is not prior art and is not numbered).
 */
export function assignCitationKeys(
  hits: readonly { uri: string; documentKey?: string; role: 'specification' | 'prior-art' }[],
): Map<string, string> {
  const keys = new Map<string, string>();
  let next = 1;
  for (const hit of hits) {
    // A bulk file holds many documents: each is cited on its own (documentKey), not the file.
    const document = hit.documentKey ?? hit.uri;
    if (keys.has(document)) continue;
    keys.set(document, hit.role === 'specification' ? 'Spec.' : `D${next++}`);
  }
  return keys;
}

/** "D1: US 8,926,509 B2, paragraph [0012]". */
export function citation(item: Pick<ResultItem, 'citationKey' | 'documentLabel' | 'paragraphLabel'>): string {
  const where = item.paragraphLabel.startsWith('[')
    ? `paragraph ${item.paragraphLabel}`
    : item.paragraphLabel;
  return `${item.citationKey}: ${item.documentLabel}, ${where}`;
}

/** One citation per line, each document listed once with all its cited paragraphs in rank order. */
export function citationList(items: readonly ResultItem[]): string {
  const byKey = new Map<string, { item: ResultItem; paragraphs: string[] }>();
  for (const item of items) {
    const entry = byKey.get(item.citationKey) ?? { item, paragraphs: [] };
    if (!entry.paragraphs.includes(item.paragraphLabel)) entry.paragraphs.push(item.paragraphLabel);
    byKey.set(item.citationKey, entry);
  }
  return [...byKey.values()]
    .map(({ item, paragraphs }) => {
      const numbered = paragraphs.every((p) => p.startsWith('['));
      const readingOrder = paragraphs.every((p) => p.startsWith(READING_ORDER_PREFIX));
      const where = numbered
        ? `${paragraphs.length > 1 ? 'paragraphs' : 'paragraph'} ${paragraphs.join(', ')}`
        : readingOrder
          ? `${READING_ORDER_PREFIX}${paragraphs.map((p) => p.slice(READING_ORDER_PREFIX.length)).join(', ')}`
          : paragraphs.join(', ');
      return `${item.citationKey}: ${item.documentLabel}, ${where}`;
    })
    .join('\n');
}

/** Escapes what Markdown would read as markup in running text and table cells (brackets alone are safe). */
const mdEscape = (text: string): string => text.replace(/([\\`*_|<>])/g, '\\$1').replace(/\s+/g, ' ');

/** The result list as a Markdown document: the query, then a table and the passages quoted in full. */
export function exportMarkdown(results: ResultsView): string {
  const lines = [
    `# Passages similar to ${results.query.title} (${mdEscape(results.query.source)})`,
    '',
    `> ${mdEscape(results.query.text)}`,
    '',
    `Mode: ${results.mode} · top ${results.topK} · ${results.items.length} passages`,
    '',
    '| # | Score | Document | Paragraph | Citation |',
    '| -: | -: | --- | --- | --- |',
    ...results.items.map(
      (item) =>
        `| ${item.rank} | ${item.score.toFixed(3)} | ${mdEscape(item.documentLabel)} | ${mdEscape(item.paragraphLabel)} | ${mdEscape(citation(item))} |`,
    ),
    '',
    ...results.items.flatMap((item) => [
      `## ${item.rank}. ${mdEscape(citation(item))} (score ${item.score.toFixed(3)})`,
      '',
      `> ${mdEscape(item.text)}`,
      '',
    ]),
  ];
  return lines.join('\n');
}

/**
 * Starts that make a spreadsheet run a cell as a formula (OWASP "CSV Injection"): =, +, -, @, tab, CR, their
 * full-width forms (＝ ＋ － ＠, which Excel and LibreOffice in East Asian locales also accept), and any of
 * them after leading whitespace or invisible characters (spreadsheets skip those before the formula).
 */
const FORMULA_START = /^[\t\r]|^[\s\ufeff\u200b-\u200d\u2060]*[=+\-@\uff1d\uff0b\uff0d\uff20]/;
/** A plain number (a negative score, say) is no formula and is left as it is. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV field. Text that a spreadsheet would run as a formula is prefixed with an apostrophe, so it is
 * shown as text: exported passages come from documents the user did not write.
 */
const csvField = (value: string | number): string => {
  const raw = String(value);
  const text =
    typeof value === 'string' && FORMULA_START.test(raw) && !PLAIN_NUMBER.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The result list as CSV (RFC 4180), one row per passage. */
export function exportCsv(results: ResultsView): string {
  const header = ['rank', 'score', 'citation_key', 'document', 'paragraph', 'citation', 'file', 'text'];
  const rows = results.items.map((item) => [
    item.rank,
    item.score.toFixed(4),
    item.citationKey,
    item.documentLabel,
    item.paragraphLabel,
    citation(item),
    item.uri,
    item.text,
  ]);
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
