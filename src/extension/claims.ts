/**
 * From an editor to a search query: the claim under the cursor (parsed from the editor's current text,
 * unsaved edits included, in the document worker) or the selection. Parsed documents are cached per
 * document version.
 */
import * as vscode from 'vscode';
import { claimAtOffset, type DocumentParser } from '../core/documents';
import type { Claim, PatentDocument, TextFormat } from '../core/documents';
import type { Logger } from '../core/logger';
import type { QueryView } from '../shared/protocol';
import type { DependentClaimContext } from './config';

/** Languages whose documents can hold claims as editable text. */
export const CLAIM_LANGUAGES = ['markdown', 'plaintext', 'xml'];
/** Larger editor texts are not parsed for claims (a selection still works). */
const MAX_PARSE_CHARS = 8_000_000;

export const CLAIM_SELECTOR: vscode.DocumentSelector = CLAIM_LANGUAGES.flatMap((language) => [
  { language, scheme: 'file' },
  { language, scheme: 'untitled' },
  { language, scheme: 'vscode-remote' },
]);

export interface ResolvedQuery {
  /** The text sent to the index. */
  text: string;
  view: QueryView;
  uri: string;
  /** The claim's range in the editor, when the query is a claim. */
  range?: vscode.Range;
  claim?: Claim;
  /** Identifies the query for de-duplication (same claim text → same key). */
  key: string;
}

/** The format `parseDocumentText` reads an editor's text as: XML by language (or content), else by name. */
function textFormat(uri: string, languageId: string): TextFormat {
  if (languageId === 'xml') return 'xml';
  return languageId === 'markdown' || /\.(md|markdown)$/i.test(uri) ? 'markdown' : 'text';
}

interface CachedModel {
  version: number;
  model: Promise<PatentDocument | undefined>;
  /** Cancels the parse when a newer version of the document is asked for first. */
  controller: AbortController;
}

/**
 * Parsed editor texts, one per document, for its latest version asked for. The parse runs in the
 * document worker (`DocumentParser.parseText`), off the extension host's thread; concurrent callers for one
 * version share it, and a newer version cancels an older one still waiting (its callers get undefined).
 */
export class DocumentModels implements vscode.Disposable {
  private readonly cache = new Map<string, CachedModel>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly parser: DocumentParser,
    private readonly logger: Logger,
  ) {
    this.subscription = vscode.workspace.onDidCloseTextDocument((d) => {
      const key = d.uri.toString();
      this.cache.get(key)?.controller.abort();
      this.cache.delete(key);
    });
  }

  /** The parsed document for the editor's current text; undefined when it has no claims to offer. */
  get(document: vscode.TextDocument): Promise<PatentDocument | undefined> {
    // Only texts that can hold claims, and not huge ones.
    if (!CLAIM_LANGUAGES.includes(document.languageId)) return Promise.resolve(undefined);
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.model;
    cached?.controller.abort();
    const controller = new AbortController();
    const model = this.parse(document, key, controller.signal);
    this.cache.delete(key);
    this.cache.set(key, { version: document.version, model, controller });
    if (this.cache.size > 20) this.cache.delete(this.cache.keys().next().value as string);
    return model;
  }

  private async parse(
    document: vscode.TextDocument,
    key: string,
    signal: AbortSignal,
  ): Promise<PatentDocument | undefined> {
    const text = document.getText();
    if (text.length > MAX_PARSE_CHARS || text.trim().length === 0) return undefined;
    const started = performance.now();
    let model: PatentDocument | undefined;
    try {
      model = await this.parser.parseText(text, key, textFormat(key, document.languageId), signal);
    } catch (error) {
      if (signal.aborted) return undefined;
      this.logger.debug(`Could not read ${document.uri.fsPath} as a patent document: ${String(error)}`);
    }
    this.logger.debug(
      `Parsed ${document.uri.fsPath} (v${document.version}) in ${(performance.now() - started).toFixed(1)} ms: ` +
        `${model?.claims.length ?? 0} claims`,
    );
    return model;
  }

  dispose(): void {
    this.subscription.dispose();
    for (const cached of this.cache.values()) cached.controller.abort();
    this.cache.clear();
  }
}

function fileName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.toString();
}

/** The claims a dependent claim's query includes before its own text, per the setting. */
function contextClaims(model: PatentDocument, claim: Claim, context: DependentClaimContext): Claim[] {
  if (context === 'none' || claim.dependsOn.length === 0) return [];
  const byNumber = new Map(model.claims.map((c) => [c.number, c]));
  const chain: Claim[] = [];
  const seen = new Set<number>([claim.number]);
  let frontier = claim.dependsOn.slice(0, 1); // the first claim referred to: "claim 2 or 3" → 2
  while (frontier.length > 0) {
    const parent = byNumber.get(frontier[0]!);
    if (!parent || seen.has(parent.number)) break;
    seen.add(parent.number);
    chain.unshift(parent);
    if (context === 'parent') break;
    frontier = parent.dependsOn.slice(0, 1);
  }
  return chain;
}

export function queryForClaim(
  model: PatentDocument,
  claim: Claim,
  document: vscode.TextDocument,
  context: DependentClaimContext,
): ResolvedQuery {
  const parents = contextClaims(model, claim, context);
  const text = [...parents.map((p) => p.text), claim.text].join('\n');
  const title =
    parents.length > 0
      ? `Claim ${claim.number} (with claim${parents.length > 1 ? 's' : ''} ${parents.map((p) => p.number).join(', ')})`
      : `Claim ${claim.number}`;
  return {
    text,
    uri: document.uri.toString(),
    claim,
    range: new vscode.Range(
      claim.range.start.line,
      claim.range.start.character,
      claim.range.end.line,
      claim.range.end.character,
    ),
    view: {
      title,
      source: fileName(document.uri),
      text: claim.text,
      uri: document.uri.toString(),
      claimNumber: claim.number,
      dependsOn: claim.dependsOn,
    },
    key: `${context}\u0000${text}`,
  };
}

/**
 * The claim at a position. The offset is taken before the parse is awaited, so it refers to the text
 * parsed; if a newer version of the document cancelled that parse meanwhile, the current text is parsed.
 */
export async function claimAt(
  models: DocumentModels,
  document: vscode.TextDocument,
  position: vscode.Position,
): Promise<{ model: PatentDocument; claim: Claim } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const version = document.version;
    const offset = document.offsetAt(position);
    const model = await models.get(document);
    if (!model && document.version !== version && attempt < 3) continue;
    if (!model || model.claims.length === 0) return undefined;
    const claim = claimAtOffset(model, offset);
    return claim ? { model, claim } : undefined;
  }
}

/**
 * The query for an editor: its (first) non-empty selection if there is one, else the claim under the
 * cursor; undefined when the cursor is not in a claim.
 */
export async function resolveQuery(
  models: DocumentModels,
  editor: vscode.TextEditor,
  context: DependentClaimContext,
  useSelection = true,
): Promise<ResolvedQuery | undefined> {
  const { document, selection } = editor;
  if (useSelection && !selection.isEmpty) {
    const text = document.getText(selection).trim();
    if (text.length >= 3) {
      const collapsed = text.replace(/\s+/g, ' ');
      return {
        text: collapsed,
        uri: document.uri.toString(),
        range: new vscode.Range(selection.start, selection.end),
        view: {
          title: 'Selection',
          source: fileName(document.uri),
          text: collapsed,
          uri: document.uri.toString(),
        },
        key: `selection\u0000${collapsed}`,
      };
    }
  }
  const found = await claimAt(models, document, selection.active);
  return found ? queryForClaim(found.model, found.claim, document, context) : undefined;
}
