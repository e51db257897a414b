import { claimReferencesInText } from './dependencies';
import { DocumentError } from './errors';
import type { Claim, DocumentFormat, Paragraph, PatentDocument } from './model';
import { stripReferenceSigns } from './reference-signs';
import type { LineIndex } from './source-text';

/** A claim as a format parser found it: offsets into the source text, text already tidied. */
export interface FoundClaim {
  number: number;
  text: string;
  start: number;
  end: number;
  /** Claim numbers the markup names (USPTO `<claim-ref idref>`); these win over the text's words. */
  markupReferences?: number[];
}

export interface FoundParagraph {
  number?: string;
  text: string;
  start: number;
  end: number;
}

export interface DocumentParts {
  uri: string;
  format: DocumentFormat;
  lines: LineIndex;
  claims: FoundClaim[];
  paragraphs: FoundParagraph[];
  publicationNumber?: string;
  title?: string;
  language?: string;
  abstract?: string;
  encoding?: string;
  sourceText?: string;
  /** The format prints no paragraph numbers: number them in reading order (`r<ordinal>` ids). */
  paragraphNumbering?: 'reading-order';
}

/**
 * Paragraphs one document may have. The largest shared document has 306 and long real specifications a few
 * thousand (four-digit paragraph numbers); ten times that is allowed. Each paragraph costs an embedding, so
 * a file of endless empty paragraphs stops here with a clear message.
 */
export const MAX_PARAGRAPHS = 50_000;

/**
 * Claims one document may have. Real documents have at most a few hundred (US fees climb per claim); a
 * file of thousands of claims that each refer to "any preceding claim" has a dependency list that grows
 * with the square of their number (5,000 such claims: 12.5 million references, 5 s, 167 MB measured), so
 * more than this stops with a clear message.
 */
export const MAX_CLAIMS = 5_000;

/** Resolves dependencies, prepares match text, gives paragraphs their ids and ranges. */
export function assembleDocument(parts: DocumentParts): PatentDocument {
  if (parts.paragraphs.length > MAX_PARAGRAPHS) {
    throw new DocumentError(
      parts.uri,
      'too-large',
      `has ${parts.paragraphs.length.toLocaleString('en-US')} paragraphs, more than the limit of ${MAX_PARAGRAPHS.toLocaleString('en-US')}.`,
    );
  }
  if (parts.claims.length > MAX_CLAIMS) {
    throw new DocumentError(
      parts.uri,
      'too-large',
      `has ${parts.claims.length.toLocaleString('en-US')} claims, more than the limit of ${MAX_CLAIMS.toLocaleString('en-US')}.`,
    );
  }
  const numbers = parts.claims.map((c) => c.number);
  const claims: Claim[] = parts.claims.map((found) => {
    const fromText = claimReferencesInText(found.text, found.number, numbers);
    let dependsOn = fromText;
    const markup = found.markupReferences?.filter((n) => n !== found.number) ?? [];
    if (markup.length > 0) {
      // The markup is authoritative; the text only adds what a range ("claims 1 to 5") spells out.
      const textCoversMarkup = markup.every((n) => fromText.includes(n));
      dependsOn = textCoversMarkup ? fromText : [...new Set(markup)].sort((a, b) => a - b);
    }
    return {
      number: found.number,
      text: found.text,
      matchText: stripReferenceSigns(found.text),
      dependsOn,
      range: parts.lines.range(found.start, found.end),
    };
  });

  const seen = new Map<string, number>();
  const paragraphs: Paragraph[] = parts.paragraphs.map((found, index) => {
    const readingOrder = parts.paragraphNumbering === 'reading-order' && found.number === undefined;
    let id = found.number !== undefined ? `p${found.number}` : `${readingOrder ? 'r' : 'o'}${index + 1}`;
    const repeats = seen.get(id) ?? 0;
    seen.set(id, repeats + 1);
    if (repeats > 0) id = `${id}-${repeats + 1}`;
    const paragraph: Paragraph = {
      id,
      text: found.text,
      matchText: stripReferenceSigns(found.text),
      range: parts.lines.range(found.start, found.end),
    };
    if (found.number !== undefined) paragraph.number = found.number;
    if (readingOrder) paragraph.numbering = 'reading-order';
    return paragraph;
  });

  const document: PatentDocument = { uri: parts.uri, format: parts.format, claims, paragraphs };
  if (parts.publicationNumber) document.publicationNumber = parts.publicationNumber;
  if (parts.title) document.title = parts.title;
  if (parts.language) document.language = parts.language;
  if (parts.abstract) document.abstract = parts.abstract;
  if (parts.encoding) document.encoding = parts.encoding;
  if (parts.sourceText !== undefined) document.sourceText = parts.sourceText;
  return document;
}
