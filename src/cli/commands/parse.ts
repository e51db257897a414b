import { readFile, stat } from 'node:fs/promises';
import { DEFAULT_MAX_BYTES, DocumentError, isIndependent, parseDocument } from '../../core/documents/index';
import type { PatentDocument, SourceRange } from '../../core/documents/index';
import { CliError, type CliCommand } from '../command';

const usage = `Usage: patent-passages parse <file> [--json] [--max-mb N]

Reads a patent document (USPTO or EPO XML, US Green Book, .txt, .md, .docx, .pdf) and lists its claims,
with the claims each depends on, and its description paragraphs, with their source ranges (0-based
line:character).

Options:
  --json      print {"format", "claims": [{number, text, dependsOn, range}], "paragraphs": [{id, number,
              numbering, text, range}], "warnings"?: [...]} on stdout (numbering "reading-order":
              the format prints no paragraph numbers and id r12 is the 12th paragraph)
  --max-mb N  refuse files larger than N MB (default ${DEFAULT_MAX_BYTES / 1024 / 1024})

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
    let maxBytes = DEFAULT_MAX_BYTES;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--json') asJson = true;
      else if (arg === '--max-mb') {
        const value = Number(args[++i]);
        if (!(value > 0)) throw new CliError('--max-mb needs a positive number.', 2);
        maxBytes = value * 1024 * 1024;
      } else if (arg.startsWith('-')) throw new CliError(`unknown option '${arg}'.\n${usage}`, 2);
      else if (file === undefined) file = arg;
      else throw new CliError('give one file.', 2);
    }
    if (file === undefined) throw new CliError(`no file given.\n${usage}`, 2);

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
      if (!asJson) for (const warning of document.warnings ?? []) io.stderr(`warning: ${warning}\n`);
      io.stdout(asJson ? json(document) : summary(document));
      return 0;
    } catch (error) {
      if (error instanceof DocumentError) throw new CliError(error.message);
      throw error;
    }
  },
};
