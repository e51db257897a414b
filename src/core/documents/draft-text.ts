import { assembleDocument, type FoundClaim, type FoundParagraph } from './assemble';
import type { PatentDocument } from './model';
import { LineIndex, normalizeWhitespace } from './source-text';

/**
 * Plain-text and Markdown drafts (and the text extracted from DOCX and PDF): claims are numbered items
 * ("1. A method ... comprising:", multi-line) after a heading such as "What is claimed is:" or "CLAIMS";
 * paragraphs are blocks separated by blank lines, or lines starting with a printed number like "[0012]";
 * headings are not paragraphs. Every pattern is anchored to one line, so the work is linear in the text.
 */

export type DraftFormat = 'text' | 'markdown' | 'docx' | 'pdf';

interface Line {
  start: number;
  /** Offset just past the last non-space character (= start for a blank line). */
  contentEnd: number;
  text: string;
  blank: boolean;
  /** A Markdown fence, comment or front matter line: never text of a claim or paragraph. */
  markup: boolean;
  /** Known to be a heading (Markdown `#`, or a DOCX heading style). */
  heading: boolean;
}

const CLAIMS_HEADING =
  /^(?:what\s+is\s+claimed\s+is|what\s+is\s+claimed|what\s+we\s+claim\s+is|we\s+claim|i\s+claim|the\s+invention\s+claimed\s+is|claimed\s+is|(?:the\s+|patent\s+|amended\s+)?claims?|listing\s+of\s+(?:the\s+)?claims|claim\s+set|patentansprüche|ansprüche|revendications)\s*:?$/i;
const ABSTRACT_HEADING = /^abstract(?:\s+of\s+the\s+disclosure)?\s*:?$/i;
/** "1. A", "1) A", "Claim 1. A", "**1.** A", and Markdown's escaped "1\. A" (written so it is no list). */
const CLAIM_START = /^(?:[-*+]\s+)?(?:\*\*|__)?(?:claim\s+)?(\d{1,3})\s*(?:\\?\.|\)|:)(?:\*\*|__)?(?:\s+|$)/i;
/** US claim listings mark each claim's status: "2. (Currently amended) A method ...". */
const CLAIM_STATUS =
  /^\((?:original|currently\s+amended|previously\s+presented|cancell?ed|withdrawn(?:\s*-\s*currently\s+amended)?|new|not\s+entered|amended)\)\s*/i;
/** "[0012]", "【0012】" (Japanese drafts), and Markdown's escaped "\[0012\]". */
const PARAGRAPH_NUMBER = /^\s*\\?[[【](\d{3,5})\\?[\]】]\s*/;
const MARKDOWN_HEADING = /^\s{0,3}#{1,6}(?:\s|$)/;
const FENCE = /^\s{0,3}(?:```|~~~)/;

function splitLines(text: string, markdown: boolean, headingLines?: ReadonlySet<number>): Line[] {
  const lines: Line[] = [];
  const pattern = /[^\r\n]*(?:\r\n|\r|\n|$)/gy;
  let inFence = false;
  let inFrontMatter = false;
  let inComment = false;
  while (pattern.lastIndex < text.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(text);
    if (!match || match[0].length === 0) break;
    const raw = match[0].replace(/[\r\n]+$/, '');
    const trimmedEnd = raw.replace(/\s+$/, '');
    const blank = trimmedEnd.trim().length === 0;
    let markup = false;
    if (markdown) {
      if (lines.length === 0 && raw === '---') inFrontMatter = true;
      else if (inFrontMatter && (raw === '---' || raw === '...')) {
        inFrontMatter = false;
        markup = true;
      }
      if (FENCE.test(raw)) {
        inFence = !inFence;
        markup = true;
      }
      // HTML comments (provenance lines, editor notes) are not text of the draft.
      if (!inFence && /^\s{0,3}<!--/.test(raw)) inComment = true;
      markup ||= inComment;
      if (inComment && raw.includes('-->')) inComment = false;
      markup ||=
        inFence || inFrontMatter || MARKDOWN_HEADING.test(raw) || /^\s{0,3}(?:[-*_]\s*){3,}$/.test(raw);
      // A setext underline makes the line above it a heading.
      if (
        !markup &&
        /^\s{0,3}(?:=+|-+)\s*$/.test(raw) &&
        lines.length > 0 &&
        !lines[lines.length - 1]!.blank
      ) {
        lines[lines.length - 1]!.markup = true;
        markup = true;
      }
    }
    const heading = headingLines?.has(lines.length) === true;
    lines.push({ start, contentEnd: start + trimmedEnd.length, text: raw, blank, markup, heading });
  }
  return lines;
}

/** The heading text of a line: Markdown `#`, emphasis and trailing colon-space removed. */
function headingText(line: Line): string {
  return line.text
    .replace(/^\s{0,3}#{1,6}\s*/, '')
    .replace(/[*_]{1,3}/g, '')
    .trim();
}

function isBlankOrAbsent(line: Line | undefined): boolean {
  return line === undefined || line.blank;
}

/** A line that stands alone and reads like a title: "BACKGROUND OF THE INVENTION", "Technical field". */
function looksLikeHeading(lines: Line[], index: number, markdown: boolean): boolean {
  const line = lines[index];
  if (!line || line.blank) return false;
  if (line.heading || (markdown && MARKDOWN_HEADING.test(line.text))) return true;
  if (!isBlankOrAbsent(lines[index - 1]) || !isBlankOrAbsent(lines[index + 1])) return false;
  const text = headingText(line);
  if (text.length === 0 || text.length > 100 || PARAGRAPH_NUMBER.test(text)) return false;
  const words = text.split(/\s+/).length;
  if (/[.;,!?]$/.test(text)) return false;
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters.length > 0 && letters === letters.toUpperCase() && words <= 12) return true;
  return words <= 8 && /^\p{Lu}/u.test(text);
}

function stripMarkdownInline(text: string): string {
  return text
    .replace(/!\[([^\]]{0,500})\]\([^)]{0,500}\)/g, '$1')
    .replace(/\[([^\]]{0,500})\]\([^)]{0,500}\)/g, '$1')
    .replace(/(\*\*|__)(?=\S)([^*_]{0,2000}?\S)\1/g, '$2')
    .replace(/(^|[\s(])[*_](?=\S)([^*_]{0,2000}?\S)[*_](?=$|[\s).,;:])/g, '$1$2')
    .replace(/`([^`]{0,2000})`/g, '$1')
    .replace(/^\s*>\s?/gm, '')
    .replace(/^\s*[-*+]\s+/gm, '');
}

interface ClaimsSection {
  /** First line of the section's claims (the "1." line). */
  first: number;
  /** One past the last line of the section. */
  end: number;
  /** The heading line, if the section has one. */
  heading?: number;
}

function claimStartNumber(line: Line | undefined): number | undefined {
  if (!line || line.blank || line.markup) return undefined;
  const match = CLAIM_START.exec(line.text.trimStart());
  return match ? Number(match[1]) : undefined;
}

/** Where the claims are: after the last claims heading that a "1." follows, else the last "1." run that reads like claims. */
function findClaimsSection(text: string, lines: Line[], markdown: boolean): ClaimsSection | undefined {
  // Where a claims section starting at each line would end (the next heading that is not a claim's), in one pass.
  const endFrom = new Array<number>(lines.length + 1).fill(lines.length);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const ends =
      line.heading ||
      (markdown && MARKDOWN_HEADING.test(line.text)) ||
      (!line.blank && ABSTRACT_HEADING.test(headingText(line)));
    endFrom[i] = ends ? i : endFrom[i + 1]!;
  }
  const sectionEnd = (from: number): number => endFrom[from] ?? lines.length;
  for (let h = lines.length - 1; h >= 0; h--) {
    const line = lines[h]!;
    if (line.blank || !CLAIMS_HEADING.test(headingText(line))) continue;
    let next = h + 1;
    while (next < lines.length && lines[next]!.blank) next++;
    if (claimStartNumber(lines[next]) === 1) return { heading: h, first: next, end: sectionEnd(next) };
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    if (claimStartNumber(lines[i]) !== 1 || !isBlankOrAbsent(lines[i - 1])) continue;
    const end = sectionEnd(i);
    // Look at the first few thousand characters of the run only: bounded work per candidate.
    const last = lines[Math.min(end, i + 200) - 1] ?? lines[i]!;
    const window = text.slice(lines[i]!.start, Math.min(last.contentEnd, lines[i]!.start + 5000));
    if (/\b(?:comprising|consisting|wherein|characteri[sz]ed|claim\s+\d)/i.test(window))
      return { first: i, end };
  }
  return undefined;
}

function claimsIn(text: string, lines: Line[], section: ClaimsSection, markdown: boolean): FoundClaim[] {
  const claims: FoundClaim[] = [];
  let expected = claimStartNumber(lines[section.first]) ?? 1;
  let current: { number: number; firstLine: number; lastLine: number } | undefined;
  const finish = () => {
    if (!current) return;
    const first = lines[current.firstLine]!;
    const last = lines[current.lastLine]!;
    const start = first.start + (first.text.length - first.text.trimStart().length);
    let body = text.slice(start, last.contentEnd);
    if (markdown) body = stripMarkdownInline(body);
    body = normalizeWhitespace(body.replace(CLAIM_START, '')).replace(CLAIM_STATUS, '');
    if (markdown) body = body.replace(/^(?:\*\*|__)\s*/, '');
    claims.push({ number: current.number, text: body, start, end: last.contentEnd });
    current = undefined;
  };
  for (let i = section.first; i < section.end; i++) {
    const line = lines[i]!;
    if (line.markup) continue;
    const number = claimStartNumber(line);
    if (number === expected) {
      finish();
      current = { number, firstLine: i, lastLine: i };
      expected++;
    } else if (current && !line.blank) {
      current.lastLine = i;
    }
  }
  finish();
  return claims;
}

function paragraphsIn(
  text: string,
  lines: Line[],
  skip: (index: number) => boolean,
  markdown: boolean,
): { paragraphs: FoundParagraph[]; abstract?: string } {
  const paragraphs: FoundParagraph[] = [];
  const abstractParts: string[] = [];
  let inAbstract = false;
  let blockStart = -1;
  const flush = (endLine: number) => {
    if (blockStart < 0) return;
    const first = lines[blockStart]!;
    const last = lines[endLine]!;
    const start = first.start + (first.text.length - first.text.trimStart().length);
    let body = text.slice(start, last.contentEnd);
    const numbered = PARAGRAPH_NUMBER.exec(body);
    if (numbered) body = body.slice(numbered[0].length);
    if (markdown) body = stripMarkdownInline(body);
    body = normalizeWhitespace(body);
    blockStart = -1;
    if (body.length === 0) return;
    if (inAbstract) {
      abstractParts.push(body);
      return;
    }
    const paragraph: FoundParagraph = { text: body, start, end: last.contentEnd };
    if (numbered) paragraph.number = numbered[1];
    paragraphs.push(paragraph);
  };
  let previous = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const excluded = skip(i) || line.markup || line.blank;
    const heading = !excluded && looksLikeHeading(lines, i, markdown);
    if (excluded || heading || (blockStart >= 0 && PARAGRAPH_NUMBER.test(line.text))) flush(previous);
    if (markdown && MARKDOWN_HEADING.test(line.text)) inAbstract = ABSTRACT_HEADING.test(headingText(line));
    else if (heading) inAbstract = ABSTRACT_HEADING.test(headingText(line));
    if (excluded || heading) continue;
    if (blockStart < 0) blockStart = i;
    previous = i;
  }
  flush(previous);
  const result: { paragraphs: FoundParagraph[]; abstract?: string } = { paragraphs };
  if (abstractParts.length > 0) result.abstract = abstractParts.join(' ');
  return result;
}

export interface DraftOptions {
  uri: string;
  format: DraftFormat;
  encoding?: string;
  /** Set for DOCX and PDF, whose ranges refer to extracted text. */
  extracted?: boolean;
  /** Lines known to be headings (DOCX paragraphs styled as headings). */
  headingLines?: ReadonlySet<number>;
}

/** Parses a draft's text: claims after the claims heading, paragraphs everywhere else. */
export function parseDraftText(text: string, options: DraftOptions): PatentDocument {
  const markdown = options.format === 'markdown';
  const lines = splitLines(text, markdown, options.headingLines);
  const section = findClaimsSection(text, lines, markdown);
  const claims = section ? claimsIn(text, lines, section, markdown) : [];
  const inClaims = (i: number) =>
    section !== undefined && i >= (section.heading ?? section.first) && i < section.end;
  const { paragraphs, abstract } = paragraphsIn(text, lines, inClaims, markdown);
  const firstHeading = markdown ? lines.find((l) => /^\s{0,3}#\s/.test(l.text)) : undefined;
  return assembleDocument({
    uri: options.uri,
    format: options.format,
    lines: new LineIndex(text),
    claims,
    paragraphs,
    abstract,
    title: firstHeading ? headingText(firstHeading) : undefined,
    encoding: options.encoding,
    sourceText: options.extracted ? text : undefined,
  });
}
