import { relative } from 'node:path';
import type { SearchMode } from '../../core/search/types';
import { paragraphLabel } from '../../shared/citations';
import { explain, explanationText } from '../../shared/explain';
import { CliError, type CliCommand, type CliIo } from '../command';
import { bundledPaths, openFolderIndex, parseArgs, positiveInt, stderrLogger, type CliPaths } from './index';

const usage = `Usage: patent-passages search <dir> --query "<claim text>" [options]

Finds the description paragraphs of the documents in <dir> nearest to the query. Brings the folder's
cache up to date first (only changed paragraphs are embedded), as 'patent-passages index' does.

Options:
  --query TEXT        the claim text (required)
  --top N             number of results (default 10)
  --mode MODE         hybrid (default) | dense | lexical
  --exclude-file F    leave out this document (e.g. the one the claim is in)
  --role ROLE         all (default) | prior-art | specification
  --elements          element-wise matching: show which claim element matched each passage
  --feedback          expand the claim with its best matches' terms (RM3; off by default)
  --no-documents      rank paragraphs by their own match only (no document evidence)
  --cache FILE        cache file (default <dir>/.patent-passages/passages.ppidx)
  --model DIR         model folder (default: the bundled models/use-lite-en)
  --long-text MODE    window-mean (default) | truncate | window-max
  --json              print {"results": [{score, file, paragraph, text, range, matchedTerms,
                      feedbackTerms, paragraphScore, documentScore, ...}], "expansionTerms": [...],
                      "timings": {...}}
Each hit is followed by why it ranks: the words it shares with the claim, the words feedback added
that it contains, and its document's own match (its best paragraph's own score).
`;

export function createSearchCommand(paths: CliPaths): CliCommand {
  return {
    name: 'search',
    summary: 'search a folder for the paragraphs nearest to a claim',
    usage,
    async run(args: string[], io: CliIo): Promise<number> {
      const { values, flags, positionals } = parseArgs(args, {
        values: [
          '--query',
          '--top',
          '--mode',
          '--exclude-file',
          '--role',
          '--cache',
          '--model',
          '--long-text',
          '--include',
          '--exclude',
          '--max-file-mb',
        ],
        flags: ['--json', '--elements', '--verbose', '--feedback', '--no-documents'],
      });
      const dir = positionals[0];
      if (dir === undefined || positionals.length > 1) throw new CliError('give one folder to search', 2);
      const query = values.get('--query');
      if (!query?.trim()) throw new CliError('--query "<claim text>" is required', 2);
      const mode = (values.get('--mode') ?? 'hybrid') as SearchMode;
      if (!['hybrid', 'dense', 'lexical'].includes(mode))
        throw new CliError('--mode must be hybrid, dense or lexical', 2);
      const role = values.get('--role') ?? 'all';
      if (!['all', 'prior-art', 'specification'].includes(role))
        throw new CliError('--role must be all, prior-art or specification', 2);
      const topK = positiveInt('--top', values.get('--top'), 10);

      const logger = stderrLogger(io, flags.has('--verbose'));
      const started = performance.now();
      const { index, embedder, root } = await openFolderIndex(paths, dir, values, logger);
      try {
        const openedMs = performance.now() - started;
        const updateStarted = performance.now();
        const update = await index.update('full');
        const updateMs = performance.now() - updateStarted;
        const excluded = values.get('--exclude-file');
        const response = await index.search({
          text: query,
          mode,
          topK,
          role: role as 'all' | 'prior-art' | 'specification',
          elements: flags.has('--elements'),
          feedback: flags.has('--feedback'),
          documentEvidence: !flags.has('--no-documents'),
          ...(excluded ? { excludeUri: excluded.startsWith('/') ? excluded : `${root}/${excluded}` } : {}),
        });
        const results = response.results.map((hit) => ({
          score: Number(hit.score.toFixed(4)),
          file: relative(root, hit.uri),
          paragraph: hit.paragraphNumber ?? hit.paragraphId,
          text: hit.text,
          range: hit.range,
          document: hit.documentLabel,
          role: hit.role,
          ...(hit.denseScore !== undefined ? { denseScore: Number(hit.denseScore.toFixed(4)) } : {}),
          ...(hit.lexicalScore !== undefined ? { lexicalScore: Number(hit.lexicalScore.toFixed(3)) } : {}),
          matchedTerms: hit.matchedTerms,
          ...(hit.feedbackTerms ? { feedbackTerms: hit.feedbackTerms } : {}),
          ...(hit.paragraphScore !== undefined
            ? { paragraphScore: Number(hit.paragraphScore.toFixed(4)) }
            : {}),
          ...(hit.documentScore !== undefined ? { documentScore: Number(hit.documentScore.toFixed(4)) } : {}),
          ...(hit.elementMatches ? { elementMatches: hit.elementMatches } : {}),
        }));
        const timings = {
          openMs: Math.round(openedMs),
          updateMs: Math.round(updateMs),
          ...Object.fromEntries(
            Object.entries(response.timings).map(([k, v]) => [`${k}Ms`, Number(v.toFixed(2))]),
          ),
        };
        if (flags.has('--json')) {
          const output = {
            results,
            timings,
            mode: response.mode,
            model: embedder.modelId,
            ...(response.expansionTerms ? { expansionTerms: response.expansionTerms } : {}),
            hybridDenseWeight: index.fusion.denseWeight,
            ...(response.notice ? { notice: response.notice } : {}),
            ...(update.paragraphsEmbedded ? { embeddedNow: update.paragraphsEmbedded } : {}),
          };
          io.stdout(`${JSON.stringify(output)}\n`);
        } else {
          if (response.notice) io.stderr(`note: ${response.notice}\n`);
          if (response.expansionTerms?.length)
            io.stdout(`feedback added: ${response.expansionTerms.join(', ')}\n`);
          results.forEach((r, i) => {
            const preview = r.text.length > 160 ? `${r.text.slice(0, 157)}...` : r.text;
            // A paragraph numbered in reading order (Green Book, id r12) is cited as such: "col./para. 12".
            const where = /^r\d+$/.test(r.paragraph)
              ? paragraphLabel(undefined, r.paragraph)
              : `[${r.paragraph}]`;
            io.stdout(
              `${String(i + 1).padStart(2)}. ${r.score.toFixed(3)}  ${r.file} ${where}\n    ${preview}\n`,
            );
            // Worded as the panel words it, every term named (no "+N": a terminal has the room).
            const why = explanationText(explain(r, Infinity));
            if (why) io.stdout(`    why: ${why}\n`);
          });
          if (!results.length) io.stdout('no matching paragraphs\n');
        }
        return 0;
      } finally {
        await index.dispose();
        await embedder.dispose();
      }
    },
  };
}

export const searchCommand = createSearchCommand(bundledPaths);
