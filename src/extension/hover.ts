/**
 * Hover scores: over a claim, the three best passages with their scores, from the remembered answers.
 * When there is none yet the hover says "computing…" at once and starts the search in the background;
 * it never waits for the model.
 */
import * as vscode from 'vscode';
import { citation } from '../shared/citations';
import { explain, explanationText } from '../shared/explain';
import { claimAt, queryForClaim, type DocumentModels } from './claims';
import { currentConfig } from './config';
import { toResultItems, type SearchService } from './searchService';

export const FIND_SIMILAR = 'patentPassages.findSimilar';

/** Arguments of `patentPassages.findSimilar` when called from a hover or CodeLens link. */
export interface FindSimilarArgs {
  uri: string;
  line: number;
  character: number;
}

export function findSimilarLink(args: FindSimilarArgs): string {
  return `command:${FIND_SIMILAR}?${encodeURIComponent(JSON.stringify([args]))}`;
}

const bar = (score: number): string => {
  const filled = Math.round(Math.max(0, Math.min(1, score)) * 10);
  return '▰'.repeat(filled) + '▱'.repeat(10 - filled);
};

/** How many terms of each kind a hover line names (a hover is narrow). */
const HOVER_TERMS = 3;

const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
/** Escapes Markdown and `$(icon)` syntax in document text shown in a hover. */
const escape = (text: string): string => text.replace(/([\\`*_{}[\]()#+\-.!|<>$])/g, '\\$1');

export class ClaimHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly models: DocumentModels,
    private readonly service: SearchService,
  ) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
  ): Promise<vscode.Hover | undefined> {
    const config = currentConfig(document.uri);
    if (!config.hoverEnabled) return undefined;
    const found = await claimAt(this.models, document, position);
    if (!found) return undefined;
    const query = queryForClaim(found.model, found.claim, document, config.dependentClaimContext);
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [FIND_SIMILAR] };
    md.supportHtml = false;
    const link = findSimilarLink({
      uri: document.uri.toString(),
      line: position.line,
      character: position.character,
    });
    const outcome = this.service.peek(query);
    // The link goes first: a long hover scrolls, and the way to the full list must stay in view.
    md.appendMarkdown(
      `**Patent Passages** · ${escape(query.view.title)} · ` +
        `[$(link-external) ${outcome ? `all ${outcome.hits.length} in the panel` : 'open the panel'}](${link})\n\n`,
    );
    if (!outcome) {
      this.service.ensure(query);
      md.appendMarkdown('$(loading~spin) computing… hover again in a moment.');
      return new vscode.Hover(md, query.range);
    }
    const items = toResultItems(outcome.hits, query.text).slice(0, 3);
    if (items.length === 0) {
      md.appendMarkdown('No similar passages found.');
      return new vscode.Hover(md, query.range);
    }
    for (const item of items) {
      // Why it ranks, in words (a hover has no colours to rely on): shared terms, feedback terms, document.
      const why = explanationText(explain(item, HOVER_TERMS), true);
      md.appendMarkdown(
        `\`${item.score.toFixed(3)}\` ${bar(item.score)} **${escape(citation(item))}**  \n` +
          `${escape(clip(item.text, 110))}` +
          (why ? `  \n*${escape(why)}*` : '') +
          '\n\n',
      );
    }
    return new vscode.Hover(md, query.range);
  }
}

/** Optional (off by default): a CodeLens over each claim with its best score. */
export class ClaimCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly models: DocumentModels,
    private readonly service: SearchService,
  ) {
    this.subscription = vscode.Disposable.from(
      service.onDidUpdate(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('patentPassages')) this.changed.fire();
      }),
    );
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const config = currentConfig(document.uri);
    if (!config.codeLensEnabled) return [];
    const model = await this.models.get(document);
    if (!model) return [];
    return model.claims.map((claim) => {
      const query = queryForClaim(model, claim, document, config.dependentClaimContext);
      const range = new vscode.Range(claim.range.start.line, 0, claim.range.start.line, 0);
      const outcome = this.service.peek(query);
      const args: [{ uri: string; line: number; character: number }] = [
        {
          uri: document.uri.toString(),
          line: claim.range.start.line,
          character: claim.range.start.character,
        },
      ];
      if (!outcome) {
        this.service.ensure(query);
        return new vscode.CodeLens(range, {
          title: '$(loading~spin) computing…',
          command: FIND_SIMILAR,
          arguments: args,
        });
      }
      const best = toResultItems(outcome.hits.slice(0, 1), query.text)[0];
      const title = best ? `Best match ${best.score.toFixed(3)} · ${citation(best)}` : 'No similar passages';
      return new vscode.CodeLens(range, { title, command: FIND_SIMILAR, arguments: args });
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
