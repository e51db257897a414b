import mammoth from 'mammoth';
import { DocumentError } from './errors';

/** The slice of mammoth's document tree we walk (mammoth ships no types for it). */
interface MammothNode {
  type: string;
  value?: string;
  children?: MammothNode[];
  numbering?: { isOrdered?: boolean; level?: string } | null;
  styleName?: string | null;
}

export interface ExtractedDocx {
  /** One paragraph per line, blocks separated by blank lines. */
  text: string;
  /** Lines (0-based) that hold a paragraph styled as a title or heading. */
  headingLines: ReadonlySet<number>;
}

/**
 * The text of a DOCX file, one paragraph per block separated by blank lines. Word's automatic list
 * numbering is not in the text runs, so it is rebuilt here: a claim numbered by a Word list comes out as
 * "1. A method ...", as if typed, and the draft-text parser reads it like any other draft.
 */
export async function extractDocxText(bytes: Uint8Array, file: string): Promise<ExtractedDocx> {
  const blocks: { text: string; heading: boolean }[] = [];
  const counters = new Map<object, number>();
  const walk = (node: MammothNode): string => {
    if (node.type === 'text') return node.value ?? '';
    if (node.type === 'tab') return '\t';
    if (node.type === 'break') return '\n';
    return (node.children ?? []).map(walk).join('');
  };
  const visit = (node: MammothNode) => {
    if (node.type === 'paragraph') {
      let text = walk(node);
      const numbering = node.numbering;
      if (numbering?.isOrdered) {
        const count = (counters.get(numbering) ?? 0) + 1;
        counters.set(numbering, count);
        if (text.trim()) text = `${count}. ${text}`;
      }
      blocks.push({ text, heading: /^(?:title|subtitle|heading\b)/i.test(node.styleName ?? '') });
      return;
    }
    for (const child of node.children ?? []) visit(child);
  };
  try {
    await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        transformDocument: (document: MammothNode) => {
          visit(document);
          return document;
        },
      },
    );
  } catch (error) {
    throw new DocumentError(
      file,
      'malformed',
      `is not a readable Word document (${(error as Error).message}).`,
    );
  }
  const lines: string[] = [];
  const headingLines = new Set<number>();
  for (const block of blocks) {
    if (block.heading) headingLines.add(lines.length);
    lines.push(block.text.replace(/[\r\n]+/g, ' ').trimEnd(), '');
  }
  return { text: lines.join('\n'), headingLines };
}
