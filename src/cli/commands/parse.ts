import { readFile, stat } from 'node:fs/promises';
import {
  DEFAULT_MAX_BYTES,
  describePosition,
  detectBulk,
  DocumentError,
  isIndependent,
  parseBulkFile,
  parseDocument,
} from '../../core/documents/index';
import type { PatentDocument, SourceRange } from '../../core/documents/index';
import { CliError, type CliCommand, type CliIo } from '../command';

const usage = `Usage: patent-passages parse <file> [--json | --jsonl] [--max-mb N]

Reads a patent document (USPTO or EPO XML, US Green Book, .txt, .md, .docx, .pdf) and lists its claims,
with the claims each depends on, and its description paragraphs, with their source ranges (0-based
line:character). A bulk file (USPTO weekly XML or Green Book text holding many documents, or a .zip of
them) is read as a stream of documents, each listed as it is read.

Options:
  --json      print {"format", "claims": [{number, text, dependsOn, range}], "paragraphs": [{id, number,
              numbering, text, range}], "warnings"?: [...]} on stdout (numbering "reading-order":
              the format prints no paragraph numbers and id r12 is the 12th paragraph)
  --jsonl     print one such object per line for each document (a bulk file's documents, or the one
              document of any other file); a document that cannot be read is named on stderr (file,
              document number, line) and the others follow; the exit code is 1 only if none was read
  --max-mb N  refuse files (for a bulk file: single documents) larger than N MB (default ${DEFAULT_MAX_BYTES / 1024 / 1024})

Warnings (damaged XML that was repaired, for example) go to stderr, or into "warnings" with --json.
`;

function at(range: SourceRange): string {
  return `${range.start.line + 1}:${range.start.character + 1}-${range.end.line + 1}:${range.end.character + 1}`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function summary(document: PatentDocument): string {
  const lines: string[] = [];
  const header = [document.publicationNumber, document.title].filter(Boolean).join(' — ');
  lines.push(`${document.uri}: ${document.format}${header ? `, ${header}` : ''}`);
  const independent = document.claims.filter(isIndependent).map((c) => c.number);
  lines.push(
    `${document.claims.length} claims (independent: ${independent.join(', ') || 'none'})` +
      `${document.language ? `, language ${document.language}` : ''}; ${document.paragraphs.length} paragraphs`,
  );
  if (document.sourceText !== undefined) lines.push('(ranges refer to the text extracted from the file)');
  for (const claim of document.claims) {
    const deps = claim.dependsOn.length ? ` → ${claim.dependsOn.join(', ')}` : '';
    lines.push(`  claim ${claim.number}${deps} [${at(claim.range)}] ${clip(claim.text, 90)}`);
  }
  for (const paragraph of document.paragraphs) {
    lines.push(`  ${paragraph.id} [${at(paragraph.range)}] ${clip(paragraph.text, 90)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The `--json` object of a document: one compact line. */
function json(document: PatentDocument): string {
  return `${JSON.stringify({
    format: document.format,
    publicationNumber: document.publicationNumber,
    title: document.title,
    language: document.language,
    claims: document.claims.map((c) => ({
      number: c.number,
      text: c.text,
      dependsOn: c.dependsOn,
      range: c.range,
    })),
    paragraphs: document.paragraphs.map((p) => ({
      id: p.id,
      number: p.number,
      numbering: p.numbering,
      text: p.text,
      range: p.range,
    })),
    warnings: document.warnings,
  })}\n`;
}

export const parseCommand: CliCommand = {
  name: 'parse',
  summary: 'list the claims (with dependencies) and paragraphs of a patent document',
  usage,
  async run(args, io) {
    let file: string | undefined;
    let asJson = false;
    let asJsonLines = false;
    let maxBytes = DEFAULT_MAX_BYTES;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--json') asJson = true;
      else if (arg === '--jsonl') asJsonLines = true;
      else if (arg === '--max-mb') {
        const value = Number(args[++i]);
        if (!(value > 0)) throw new CliError('--max-mb needs a positive number.', 2);
        maxBytes = value * 1024 * 1024;
      } else if (arg.startsWith('-')) throw new CliError(`unknown option '${arg}'.\n${usage}`, 2);
      else if (file === undefined) file = arg;
      else throw new CliError('give one file.', 2);
    }
    if (file === undefined) throw new CliError(`no file given.\n${usage}`, 2);
    if (asJson && asJsonLines) throw new CliError('give --json or --jsonl, not both.', 2);
    const path = file;

    let bulk = false;
    try {
      bulk = (await stat(path)).isFile() && (await detectBulk(path));
    } catch {
      /* reported below, where the file is read */
    }
    if (bulk) {
      if (asJson)
        throw new CliError(`${path} holds several documents: use --jsonl for one object per document.`);
      return parseBulk(path, maxBytes, asJsonLines, io);
    }

    let bytes: Uint8Array;
    try {
      const info = await stat(file);
      if (info.isDirectory()) throw new CliError(`${file} is a folder, not a file.`);
      if (info.size > maxBytes) {
        throw new CliError(`${file}: is ${(info.size / 1024 / 1024).toFixed(1)} MB, larger than the limit.`);
      }
      bytes = await readFile(file);
    } catch (error) {
      if (error instanceof CliError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
      throw new CliError(`cannot read ${file}: ${reason}.`);
    }
    try {
      const document = await parseDocument(bytes, file, { maxBytes });
      const asObject = asJson || asJsonLines;
      if (!asObject) for (const warning of document.warnings ?? []) io.stderr(`warning: ${warning}\n`);
      io.stdout(asObject ? json(document) : summary(document));
      return 0;
    } catch (error) {
      if (error instanceof DocumentError) throw new CliError(error.message);
      throw error;
    }
  },
};

/**
 * Streams a bulk file's documents to stdout as they are read (constant memory); a document that cannot
 * be read goes to stderr and the rest follow. Exit code 1 only when no document could be read.
 */
async function parseBulk(path: string, maxBytes: number, asJsonLines: boolean, io: CliIo): Promise<number> {
  let read = 0;
  let failed = 0;
  try {
    for await (const item of parseBulkFile(path, { maxDocumentBytes: maxBytes })) {
      if ('error' in item) {
        failed++;
        io.stderr(`${item.error.message}\n`);
        continue;
      }
      read++;
      if (!asJsonLines)
        for (const warning of item.document.warnings ?? []) io.stderr(`warning: ${warning}\n`);
      io.stdout(
        asJsonLines
          ? json(item.document)
          : `--- ${describePosition(item.position)}\n${summary(item.document)}`,
      );
    }
  } catch (error) {
    if (error instanceof DocumentError) throw new CliError(error.message);
    throw error;
  }
  if (read === 0) {
    throw new CliError(`${path}: no document could be read${failed ? ` (${failed} failed)` : ''}.`);
  }
  if (failed) io.stderr(`${path}: ${read} documents read, ${failed} could not be read.\n`);
  return 0;
}
