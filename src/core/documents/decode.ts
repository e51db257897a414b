import { DocumentError } from './errors';

export interface DecodedText {
  /** The text without a byte-order mark: what an editor shows, so offsets match the editor's. */
  text: string;
  encoding: string;
}

/** Index of the first byte that breaks UTF-8, or -1 when all bytes are valid UTF-8. Linear. */
export function firstInvalidUtf8(bytes: Uint8Array, start = 0): number {
  let i = start;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= n) return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function bomEncoding(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

/**
 * True when the bytes look like a binary file rather than text: a NUL byte, or many control characters,
 * in the first 64 KB. UTF-16 text (with a BOM) is not binary.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const bom = bomEncoding(bytes);
  if (bom && bom.encoding.startsWith('utf-16')) return false;
  const n = Math.min(bytes.length, 65536);
  let controls = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0) return true;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) controls++;
  }
  return n > 0 && controls / n > 0.05;
}

/** The encoding named in an XML declaration (`<?xml ... encoding="ISO-8859-1"?>`), if any. */
export function declaredXmlEncoding(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256));
  const match = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/.exec(head);
  return match?.[1]?.toLowerCase();
}

function decodeStrict(bytes: Uint8Array, encoding: string, file: string): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  } catch {
    throw new DocumentError(file, 'encoding', `declares the encoding "${encoding}", which is not supported.`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    const where =
      decoder.encoding === 'utf-8' ? ` (first bad byte at offset ${firstInvalidUtf8(bytes)})` : '';
    throw new DocumentError(file, 'encoding', `is not valid ${decoder.encoding}${where}.`);
  }
}

/**
 * Decodes an XML file: a BOM wins, then the encoding its declaration names, else UTF-8 (the XML default).
 * Bytes that do not fit the encoding are an error, since the markup could not be trusted.
 */
export function decodeXml(bytes: Uint8Array, file: string): DecodedText {
  const bom = bomEncoding(bytes);
  if (bom)
    return { text: decodeStrict(bytes.subarray(bom.length), bom.encoding, file), encoding: bom.encoding };
  const declared = declaredXmlEncoding(bytes) ?? 'utf-8';
  const text = decodeStrict(bytes, declared, file);
  return { text, encoding: new TextDecoder(declared).encoding };
}

/**
 * Decodes a plain-text or Markdown draft: a BOM wins, else UTF-8. Text that is not valid UTF-8 is read as
 * Windows-1252 (the usual encoding of such drafts), which maps every byte to one character: nothing is
 * lost, and offsets agree with an editor that shows each bad byte as one replacement character.
 */
export function decodeText(bytes: Uint8Array, file: string): DecodedText {
  const bom = bomEncoding(bytes);
  if (bom)
    return { text: decodeStrict(bytes.subarray(bom.length), bom.encoding, file), encoding: bom.encoding };
  if (firstInvalidUtf8(bytes) === -1)
    return { text: new TextDecoder('utf-8').decode(bytes), encoding: 'utf-8' };
  return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
}
