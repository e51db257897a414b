/**
 * A cheap test of whether a file is a patent document, on its first bytes: used to decide whether a
 * workspace is a patent matter worth indexing on its own (an ordinary code project's READMEs are not).
 * Linear regular expressions only; reads at most `SIGNATURE_BYTES`.
 */

import { looksLikeGreenBook } from './greenbook';

/** How much of a file the test reads. Claims headings of long text drafts sit far down, so this is generous. */
export const SIGNATURE_BYTES = 1024 * 1024;

/**
 * The root elements of USPTO grants/applications (2005+, and the 2001–2004 `patent-application-publication`
 * and ST.32 `PATDOC`), EPO publications and WIPO-style documents.
 */
const PATENT_XML =
  /<(?:us-patent-grant|us-patent-application|patent-application-publication|PATDOC|ep-patent-document|patent-document|wo-patent-document)[\s>]/;

/** `[0012]`-style paragraph numbers at the start of a line, as US applications print them. */
const NUMBERED_PARAGRAPH = /^[ \t>*_]*\[\d{4,5}\][ \t]/m;

/** A claims heading on a line of its own: "What is claimed is:", "We claim:", "Claims", "## CLAIMS". */
const CLAIMS_HEADING = /^[ \t#*_]*(?:what is claimed is|(?:i|we) claim|claims?)[ \t]*:?[ \t*_]*$/im;

/** A first claim: "1. A method ..." / "1. An apparatus ...". */
const FIRST_CLAIM = /^[ \t*_]*1[ \t]*\.[ \t]+(?:A|An|The|Method|Apparatus|System|Device)\b/m;

export function looksLikePatentDocument(bytes: Uint8Array, fileName: string): boolean {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, SIGNATURE_BYTES));
  if (/\.(?:xml|sgml?)$/i.test(fileName) || /^\s*<(?:\?xml|!DOCTYPE)/.test(head))
    return PATENT_XML.test(head);
  // APS Green Book (US grants 1976–2000): a record starts with a PATN line.
  if (looksLikeGreenBook(head)) return true;
  if (NUMBERED_PARAGRAPH.test(head)) return true;
  const heading = CLAIMS_HEADING.exec(head);
  return heading !== null && FIRST_CLAIM.test(head.slice(heading.index));
}
