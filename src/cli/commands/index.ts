import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { detectBulk, parseBulkFile, parseDocument } from '../../core/documents';
import {
  createEmbedder,
  EmbeddingEngineError,
  ModelFolderError,
  type OnnxEmbedder,
} from '../../core/embedding';
import type { LongTextMode } from '../../core/embedding/model-folder';
import { PassageIndex } from '../../core/index/passage-index';
import { DirectorySource } from '../../core/index/source';
import type { Logger } from '../../core/logger';
import { CliError, type CliCommand, type CliIo } from '../command';
import { defaultModelDir } from './embed';

/** Where the bundled CLI finds its worker and models; tests point these at the sources. */
export interface CliPaths {
  workerPath: string;
  workerExecArgv?: string[];
  packageRoot: string;
}

export const bundledPaths: CliPaths = {
  workerPath: join(__dirname, 'worker.js'),
  packageRoot: resolve(__dirname, '..'),
};

/** The cache file of a folder when no --cache is given: same store format as the extension's. */
export function defaultCachePath(dir: string): string {
  return join(dir, '.patent-passages', 'passages.ppidx');
}

/** Minimal flag parsing: `--name value`, boolean `--flag`, positionals. Unknown flags are errors. */
export function parseArgs(
  args: string[],
  spec: { values: string[]; flags: string[] },
): { values: Map<string, string>; flags: Set<string>; positionals: string[] } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (spec.values.includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new CliError(`${arg} needs a value`, 2);
      values.set(arg, value);
    } else if (spec.flags.includes(arg)) flags.add(arg);
    else if (arg.startsWith('--')) throw new CliError(`unknown option ${arg}`, 2);
    else positionals.push(arg);
  }
  return { values, flags, positionals };
}

export function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} needs a positive whole number`, 2);
  return n;
}

export function longTextMode(value: string | undefined): LongTextMode | undefined {
  if (value === undefined) return undefined;
  if (value === 'truncate' || value === 'window-mean' || value === 'window-max') return value;
  throw new CliError(`--long-text must be truncate, window-mean or window-max`, 2);
}

export async function openEmbedder(
  paths: CliPaths,
  options: { model?: string; longText?: LongTextMode; threads?: number; logger?: Logger },
): Promise<OnnxEmbedder> {
  const modelDir = options.model !== undefined ? resolve(options.model) : defaultModelDir(paths.packageRoot);
  try {
    return await createEmbedder({
      modelDir,
      workerPath: paths.workerPath,
      workerExecArgv: paths.workerExecArgv,
      longText: options.longText,
      threads: options.threads,
      logger: options.logger,
      idleTimeoutMs: 0,
    });
  } catch (error) {
    if (error instanceof ModelFolderError || error instanceof EmbeddingEngineError)
      throw new CliError(error.message);
    throw error;
  }
}

export function stderrLogger(io: CliIo, verbose: boolean): Logger {
  return {
    error: (m) => io.stderr(`error: ${m}\n`),
    warn: (m) => io.stderr(`warning: ${m}\n`),
    info: (m) => (verbose ? io.stderr(`${m}\n`) : undefined),
    debug: () => undefined,
  };
}

/** Opens the index of a folder for the CLI: directory walker, real parser, real embedder, store in the folder. */
export async function openFolderIndex(
  paths: CliPaths,
  dir: string,
  values: Map<string, string>,
  logger: Logger,
): Promise<{ index: PassageIndex; embedder: OnnxEmbedder; root: string }> {
  const root = resolve(dir);
  const cache = values.has('--cache') ? resolve(values.get('--cache') as string) : defaultCachePath(root);
  await mkdir(join(cache, '..'), { recursive: true }).catch(() => undefined);
  const embedder = await openEmbedder(paths, {
    model: values.get('--model'),
    longText: longTextMode(values.get('--long-text')),
    logger,
  });
  const include = values.get('--include')?.split(',');
  const exclude = values.get('--exclude')?.split(',');
  const source = new DirectorySource(root, {
    ...(include ? { include } : {}),
    ...(exclude ? { exclude: [...exclude, '**/.patent-passages/**'] } : {}),
  });
  const maxMb = values.get('--max-file-mb');
  const index = new PassageIndex({
    source,
    embedder,
    parse: (bytes, uri, signal) => parseDocument(bytes, uri, { signal }),
    bulk: {
      detect: (path, signal) => detectBulk(path, signal),
      read: (path, options) => parseBulkFile(path, options),
    },
    logger,
    storePath: cache,
    ...(maxMb ? { maxFileBytes: positiveInt('--max-file-mb', maxMb, 50) * 1024 * 1024 } : {}),
  });
  return { index, embedder, root };
}

const usage = `Usage: patent-passages index <dir> [options]

Builds or updates the passage cache of a folder: every description paragraph of the patent documents
in it (USPTO/EPO XML, text, Markdown, Word, PDF), embedded once. Only changed paragraphs are embedded
again. The cache is <dir>/.patent-passages/passages.ppidx unless --cache is given.

Options:
  --cache FILE        cache file (same format as the extension's)
  --model DIR         model folder (default: the bundled models/use-lite-en)
  --long-text MODE    window-mean (default) | truncate | window-max
  --include GLOBS     comma-separated globs (default: **/*.{xml,sgm,sgml,txt,md,markdown,greenbook,docx,pdf})
  --exclude GLOBS     comma-separated globs (default: node_modules, .git, .vscode)
  --max-file-mb N     skip larger files (default 50)
  --json              print the result as JSON
  --verbose           log progress to stderr
`;

export function createIndexCommand(paths: CliPaths): CliCommand {
  return {
    name: 'index',
    summary: 'build or update the passage cache of a folder',
    usage,
    async run(args: string[], io: CliIo): Promise<number> {
      const { values, flags, positionals } = parseArgs(args, {
        values: ['--cache', '--model', '--long-text', '--include', '--exclude', '--max-file-mb'],
        flags: ['--json', '--verbose'],
      });
      const dir = positionals[0];
      if (dir === undefined || positionals.length > 1) throw new CliError('give one folder to index', 2);
      const logger = stderrLogger(io, flags.has('--verbose'));
      const { index, embedder } = await openFolderIndex(paths, dir, values, logger);
      // Ctrl-C: stop reading and embedding, save what is done (the next run resumes from it), then leave at
      // once. A second Ctrl-C (the default action again) ends the process without saving.
      const controller = new AbortController();
      let interrupted = false;
      const onSignal = (): void => {
        interrupted = true;
        controller.abort();
      };
      process.once('SIGINT', onSignal);
      try {
        const started = performance.now();
        const result = await index.update('full', { signal: controller.signal });
        const seconds = (performance.now() - started) / 1000;
        const status = index.status();
        const summary = {
          ...result,
          documents: status.documents,
          paragraphs: status.paragraphs,
          pendingEmbeddings: status.pendingEmbeddings ?? 0,
          modelId: status.modelId,
          seconds: Number(seconds.toFixed(2)),
          ...(status.message ? { message: status.message } : {}),
        };
        if (flags.has('--json')) io.stdout(`${JSON.stringify(summary)}\n`);
        else {
          io.stdout(
            `${status.documents} documents, ${status.paragraphs} paragraphs; read ${result.filesRead} file(s), ` +
              `embedded ${result.paragraphsEmbedded} paragraph(s) in ${seconds.toFixed(1)} s` +
              `${result.cancelled ? ' (cancelled: run again to resume)' : ''}\n`,
          );
        }
        return result.cancelled ? 130 : 0;
      } finally {
        process.removeListener('SIGINT', onSignal);
        await index.dispose(); // saves the cache
        if (interrupted) {
          // Waiting for the embedding worker would cost its current batch (seconds on a busy machine), and
          // a worker inside onnxruntime's run cannot be terminated without aborting the process. The cache
          // is saved: end as an interrupted program does, by the signal itself (the shell shows 130).
          process.kill(process.pid, 'SIGINT');
        }
        await embedder.dispose();
      }
    },
  };
}

export const indexCommand = createIndexCommand(bundledPaths);
