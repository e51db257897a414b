import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createEmbedder,
  EmbeddingEngineError,
  ModelFolderError,
  type OnnxEmbedder,
} from '../../core/embedding';
import { CliError, type CliCommand, type CliIo } from '../command';

const usage = `Usage: patent-passages embed [--model DIR] [--dims N] [--query] "text" ...

Prints one JSON vector (L2-normalised) per text, one line each, in the order given.
With no text arguments, embeds each line of standard input as it arrives (a line's vector is printed
before the next line is read, so one process can serve a stream of texts).

Options:
  --model DIR   model folder (default: models/bge-base-patentmatch if present, else models/use-lite-en)
  --dims N      cut vectors to N dimensions (one of the model's Matryoshka sizes)
  --query       embed as queries (the model's query prefix, if it has one); default: passages
  --threads N   onnxruntime threads (default: all cores but one, at least one)
`;

export interface EmbedCommandOptions {
  /** The worker script; the bundled CLI finds out/worker.js next to itself. */
  workerPath: string;
  /** Where `models/` is looked for when --model is not given. */
  packageRoot: string;
  /** Standard input, in the pieces it arrives in. */
  readStdin?: () => AsyncIterable<string>;
}

/** The model the product prefers: bge-base-patentmatch where it has been fetched, else the bundled default. */
export function defaultModelDir(packageRoot: string): string {
  const preferred = join(packageRoot, 'models', 'bge-base-patentmatch');
  return existsSync(join(preferred, 'config.json')) ? preferred : join(packageRoot, 'models', 'use-lite-en');
}

export function createEmbedCommand(options: EmbedCommandOptions): CliCommand {
  return {
    name: 'embed',
    summary: 'print the embedding vector of each text as JSON',
    usage,
    async run(args: string[], io: CliIo): Promise<number> {
      let model: string | undefined;
      let dims: number | undefined;
      let threads: number | undefined;
      let kind: 'query' | 'passage' = 'passage';
      const texts: string[] = [];
      const positiveInt = (flag: string, value: string | undefined): number => {
        const n = Number(value);
        if (value === undefined || !Number.isInteger(n) || n <= 0)
          throw new CliError(`${flag} needs a positive whole number`, 2);
        return n;
      };
      for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === '--model') {
          model = args[++i];
          if (model === undefined) throw new CliError('--model needs a folder', 2);
        } else if (arg === '--dims') dims = positiveInt('--dims', args[++i]);
        else if (arg === '--threads') threads = positiveInt('--threads', args[++i]);
        else if (arg === '--query') kind = 'query';
        else if (arg === '--') {
          texts.push(...args.slice(i + 1));
          break;
        } else if (arg.startsWith('--')) throw new CliError(`unknown option ${arg}`, 2);
        else texts.push(arg);
      }
      const modelDir = model !== undefined ? resolve(model) : defaultModelDir(options.packageRoot);
      let embedder: OnnxEmbedder | undefined;
      let embedded = 0;
      const embedAndPrint = async (batch: string[]): Promise<void> => {
        if (batch.length === 0) return;
        embedder ??= await createEmbedder({
          modelDir,
          workerPath: options.workerPath,
          dims,
          threads,
          idleTimeoutMs: 0,
        });
        const vectors = await embedder.embed(batch, { kind, priority: 'query' });
        // 9 significant digits give back exactly the same float32.
        for (const v of vectors)
          io.stdout(`${JSON.stringify(Array.from(v, (x) => Number(x.toPrecision(9))))}\n`);
        embedded += batch.length;
      };
      const nonBlank = (lines: string[]) => lines.filter((line) => line.trim() !== '');
      try {
        if (texts.length > 0) await embedAndPrint(texts);
        else {
          // Standard input: the complete lines of each read are embedded and printed at once, so a
          // program can keep one process (and the loaded model) and feed it a text at a time.
          let partial = '';
          for await (const chunk of options.readStdin?.() ?? []) {
            const lines = (partial + chunk).split(/\r?\n/);
            partial = lines.pop() ?? '';
            await embedAndPrint(nonBlank(lines));
          }
          await embedAndPrint(nonBlank([partial]));
          if (embedded === 0)
            throw new CliError('no text to embed: pass texts as arguments or lines on standard input', 2);
        }
      } catch (error) {
        if (error instanceof ModelFolderError || error instanceof EmbeddingEngineError)
          throw new CliError(error.message);
        throw error;
      } finally {
        await embedder?.dispose();
      }
      return 0;
    },
  };
}

/** Standard input as it arrives; nothing from a terminal (texts are then expected as arguments). */
async function* readStdinChunks(): AsyncIterable<string> {
  if (process.stdin.isTTY) return;
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) yield chunk as string;
}

/** The command as the bundled CLI (out/cli.js) runs it: the worker is out/worker.js beside it. */
export const embedCommand: CliCommand = createEmbedCommand({
  workerPath: join(__dirname, 'worker.js'),
  packageRoot: resolve(__dirname, '..'),
  readStdin: readStdinChunks,
});
