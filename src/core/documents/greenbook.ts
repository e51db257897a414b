/**
 * US grants of 1976–2000 in the USPTO's APS "Green Book" full-text format: one line per field, a tag in
 * columns 1–4 (`PAR `, `NUM `, `WKU `), the value from column 6, continuation lines indented. A field tag of
 * four letters with no value opens a section (`PATN`, `ABST`, `BSUM`, `DETD`, `CLMS`, …).
 *
 * Read here: the publication number (`WKU`, check digit dropped), the title (`TTL`), the abstract (`ABST`),
 * the description paragraphs of `GOVT`, `PARN`, `BSUM`, `DRWD` and `DETD` in file order (`PAR`, `PA0`–`PA9`,
 * `PAL`, and each table `TBL`/`TBL3` and equation `EQU` as a paragraph of its own; `PAC` lines are headings), and
 * the claims of `CLMS` (a claim per `NUM`) or `DCLM` (a design's one claim). The format has no paragraph
 * numbers, so paragraphs are numbered in reading order (`numbering: 'reading-order'`), and no markup for
 * claim dependencies, so they come from the claims' words.
 *
 * One record (one `PATN`) per call: a bulk file of many records is split by the caller. A single scan over
 * the lines, linear in the text.
 */
import { assembleDocument, type FoundClaim, type FoundParagraph } from './assemble';
import { DocumentError } from './errors';
import type { PatentDocument } from './model';
import { LineIndex, normalizeWhitespace } from './source-text';

/** Sections whose paragraphs make up the description, as the XML formats' `<description>` holds them. */
const DESCRIPTION_SECTIONS = new Set(['GOVT', 'PARN', 'BSUM', 'DRWD', 'DETD']);
const CLAIM_SECTIONS = new Set(['CLMS', 'DCLM']);
/** Text-bearing fields: paragraphs at any indent level, abstract paragraphs, tables, equations. */
const TEXT_FIELD = /^(?:PA[R0-9L]|TBL\d?|TB\d|EQU|EQ\d)$/;
const TABLE_FIELD = /^(?:TBL\d?|TB\d)$/;
/** The record's section tags (a four-letter tag alone on its line); other tags are fields. */
const SECTIONS = new Set([
  'PATN', 'INVT', 'ASSG', 'PRIR', 'REIS', 'RLAP', 'CLAS', 'UREF', 'FREF', 'OREF', 'LREP', 'PCTA', 'ABST',
  'GOVT', 'PARN', 'BSUM', 'DRWD', 'DETD', 'CLMS', 'DCLM',
]); // prettier-ignore

interface Field {
  section: string;
  tag: string;
  /** Offset of the tag at the start of the line. */
  lineStart: number;
  /** Offset of the first character of the value (or of the line end for an empty value). */
  start: number;
  /** Offset just past the last non-blank character of the field's last line. */
  end: number;
  lines: string[];
}

interface Scan {
  fields: Field[];
  /** A second `PATN` was met: the text holds more than one record. */
  moreRecords: boolean;
  foundRecord: boolean;
}

/** The first line (trimmed) that is not blank, within the first `limit` characters. */
function firstLine(text: string, limit = 4096): string {
  const head = text.slice(0, limit).replace(/^\uFEFF/, '');
  return /^\s*([^\r\n]*)/.exec(head)?.[1]?.trim() ?? '';
}

/**
 * Whether text is a Green Book record: its first non-blank line is `PATN` (or the `HHHHHT` header line of a
 * weekly APS file, which precedes the first record).
 */
export function looksLikeGreenBook(text: string): boolean {
  const first = firstLine(text);
  if (first === 'PATN') return true;
  if (!first.startsWith('HHHHHT')) return false;
  const afterHeader = text.slice(text.indexOf('HHHHHT'), 8192).split(/\r\n|\r|\n/);
  return (
    afterHeader
      .slice(1)
      .find((line) => line.trim() !== '')
      ?.trim() === 'PATN'
  );
}

function scanFields(text: string, signal: AbortSignal | undefined): Scan {
  const fields: Field[] = [];
  let section = '';
  let current: Field | undefined;
  let foundRecord = false;
  let lineCount = 0;
  let at = 0;
  // Lines end at "\n", "\r\n" or a lone "\r", as LineIndex counts them. The next of each is looked up only
  // once passed, so the scan stays linear.
  let nextLf = -2;
  let nextCr = -2;
  while (at <= text.length) {
    if (nextLf !== -1 && nextLf < at) nextLf = text.indexOf('\n', at);
    if (nextCr !== -1 && nextCr < at) nextCr = text.indexOf('\r', at);
    const lf = nextLf < 0 ? text.length : nextLf;
    const cr = nextCr < 0 ? text.length : nextCr;
    const contentEnd = Math.min(lf, cr);
    const next = cr < lf && cr + 1 === lf ? lf + 1 : contentEnd + 1;
    const line = text.slice(at, contentEnd);
    if (++lineCount % 4096 === 0) signal?.throwIfAborted();

    const trimmedEnd = line.trimEnd();
    if (trimmedEnd === '') {
      // Blank lines occur inside tables: they belong to the field, but do not extend its range.
      current?.lines.push('');
    } else if (/^\s/.test(line)) {
      if (current) {
        current.lines.push(trimmedEnd.trim());
        current.end = at + trimmedEnd.length;
      }
    } else {
      const tag = line.slice(0, 4).trimEnd();
      const value = line.slice(4);
      // A section tag stands alone on its line; a four-character field tag ("TBL3") carries a value.
      if (SECTIONS.has(tag) || (value.trim() === '' && /^[A-Z]{4}$/.test(tag))) {
        if (tag === 'PATN') {
          if (foundRecord) return { fields, moreRecords: true, foundRecord };
          foundRecord = true;
        }
        section = tag;
        current = undefined;
      } else if (foundRecord) {
        const lead = value.length - value.trimStart().length;
        current = {
          section,
          tag,
          lineStart: at,
          start: at + 4 + lead,
          end: at + trimmedEnd.length,
          lines: [value.trim()],
        };
        fields.push(current);
      }
    }
    at = next;
  }
  return { fields, moreRecords: false, foundRecord };
}

/** A field's value as one line of text; a table's ruling lines (`_____`) are dropped. */
function fieldText(field: Field): string {
  const joined = field.lines.join(' ');
  const cleaned = TABLE_FIELD.test(field.tag) ? joined.replace(/[-_=]{3,}/g, ' ') : joined;
  return normalizeWhitespace(cleaned);
}

/**
 * "039327094" → "3932709": the last character is a check digit, the rest a type prefix (none for a utility
 * patent; "D" design, "RE" reissue, "PP" plant, "H" statutory invention registration, "T" defensive
 * publication) and the number, zero-padded.
 */
export function greenBookPatentNumber(wku: string): { prefix: string; number: string } | undefined {
  const compact = wku.replace(/\s+/g, '').toUpperCase();
  const match = /^([A-Z]{0,2})0*(\d+)$/.exec(compact.slice(0, -1));
  if (!match || compact.length < 8) return undefined;
  const number = match[2] ?? '';
  if (!/[1-9]/.test(number)) return undefined;
  return { prefix: match[1] ?? '', number: String(Number(number)) };
}

/** Kind codes as they were assigned to these grants retroactively (WIPO ST.16, US before 2001). */
const KIND_BY_PREFIX: Record<string, string> = { '': 'A', D: 'S', RE: 'E', PP: 'P', H: 'H', T: 'I4' };

function publicationNumber(wku: string | undefined): string | undefined {
  if (!wku) return undefined;
  const parsed = greenBookPatentNumber(wku);
  if (!parsed) return undefined;
  return `US${parsed.prefix}${parsed.number}${KIND_BY_PREFIX[parsed.prefix] ?? ''}`;
}

function claimsFrom(fields: Field[]): FoundClaim[] {
  const claims: FoundClaim[] = [];
  let open: { number: number; start: number; end: number; texts: string[] } | undefined;
  const close = () => {
    if (!open) return;
    const full = normalizeWhitespace(open.texts.join(' '));
    // The first paragraph repeats the printed number ("2. The terminal of claim 1"): drop it.
    const lead = /^(\d{1,4})\s*[.)]\s*/.exec(full);
    const body = lead && Number(lead[1]) === open.number ? full.slice(lead[0].length) : full;
    if (body !== '') claims.push({ number: open.number, text: body, start: open.start, end: open.end });
    open = undefined;
  };
  const claimFields = fields.filter((f) => CLAIM_SECTIONS.has(f.section));
  const hasNumLines = claimFields.some((f) => f.tag === 'NUM');
  for (const field of claimFields) {
    if (field.tag === 'NUM') {
      close();
      const printed = Number.parseInt(fieldText(field), 10);
      const number = Number.isFinite(printed) && printed > 0 ? printed : claims.length + 1;
      open = { number, start: field.lineStart, end: field.end, texts: [] };
    } else if (TEXT_FIELD.test(field.tag)) {
      // Without NUM lines (a design's single claim, a record that omits them), a paragraph that starts
      // with the next claim number starts that claim.
      const printed = /^\s*(\d{1,4})\s*\./.exec(field.lines[0] ?? '');
      const next = printed && !hasNumLines && (!open || Number(printed[1]) === open.number + 1);
      if (!open || next) {
        close();
        const number = printed ? Number(printed[1]) : claims.length + 1;
        open = { number, start: field.start, end: field.end, texts: [] };
      }
      open.texts.push(fieldText(field));
      open.end = field.end;
    }
  }
  close();
  return claims;
}

function paragraphsFrom(fields: Field[]): FoundParagraph[] {
  const paragraphs: FoundParagraph[] = [];
  for (const field of fields) {
    if (!DESCRIPTION_SECTIONS.has(field.section) || !TEXT_FIELD.test(field.tag)) continue;
    const text = fieldText(field);
    if (text !== '') paragraphs.push({ text, start: field.start, end: field.end });
  }
  return paragraphs;
}

function sectionText(fields: Field[], section: string): string | undefined {
  const texts = fields
    .filter((f) => f.section === section && TEXT_FIELD.test(f.tag))
    .map(fieldText)
    .filter((t) => t !== '');
  return texts.length > 0 ? texts.join(' ') : undefined;
}

/**
 * Parses ONE Green Book record (from its `PATN` line to the next `PATN` or the end). Text before the first
 * `PATN` (a weekly file's `HHHHHT` header) is skipped; a second record is left out with a warning. Ranges
 * are offsets into `text`. Throws `DocumentError` when the text holds no `PATN` record.
 */
export function parseGreenBook(
  text: string,
  uri: string,
  encoding?: string,
  signal?: AbortSignal,
): PatentDocument {
  const scan = scanFields(text, signal);
  if (!scan.foundRecord) {
    throw new DocumentError(uri, 'malformed', 'is not an APS Green Book record: it has no PATN line.');
  }
  const { fields } = scan;
  const first = (section: string, tag: string) => fields.find((f) => f.section === section && f.tag === tag);
  const wku = first('PATN', 'WKU');
  const title = first('PATN', 'TTL');
  const document = assembleDocument({
    uri,
    format: 'uspto-greenbook',
    lines: new LineIndex(text),
    encoding,
    claims: claimsFrom(fields),
    paragraphs: paragraphsFrom(fields),
    paragraphNumbering: 'reading-order',
    publicationNumber: publicationNumber(wku && fieldText(wku)),
    title: title ? fieldText(title) : undefined,
    abstract: sectionText(fields, 'ABST'),
    language: 'en',
  });
  const warnings: string[] = [];
  if (wku && !document.publicationNumber) {
    warnings.push(
      `${uri}: the patent number (WKU "${fieldText(wku)}") is not in the APS form; it is left out.`,
    );
  }
  if (scan.moreRecords) {
    warnings.push(`${uri}: holds more than one PATN record; only the first is read here.`);
  }
  if (warnings.length > 0) document.warnings = warnings;
  return document;
}
