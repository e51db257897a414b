/** What a user can do with a result: open it, copy its citation, export the list. */
import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { citation, citationList, exportCsv, exportMarkdown } from '../shared/citations';
import type { ResultItem, ResultsView, WebviewMessage } from '../shared/protocol';
import { describeError, type Notifier } from './notifier';
import { hitUri } from './searchService';

export class PassageActions implements vscode.Disposable {
  /** The paragraph last opened, marked until the next one opens or the document is edited. */
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findRangeHighlightBackground'),
    border: '1px solid',
    borderColor: new vscode.ThemeColor('editor.findMatchHighlightBorder'),
    isWholeLine: true,
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  private highlighted: { editor: vscode.TextEditor; uri: string } | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  /**
   * @param isWorkspaceDocument whether a URI is a document the index may hold (a file under a workspace
   *   folder, in the include/exclude scope). Results restored from a webview's saved state are untrusted:
   *   a crafted one must not open arbitrary files or URIs (`command:`, other folders), so every open asks.
   */
  constructor(
    private readonly logger: Logger,
    private readonly notifier: Notifier,
    private readonly isWorkspaceDocument: (uri: vscode.Uri) => boolean,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (
          this.highlighted &&
          e.document.uri.toString() === this.highlighted.uri &&
          e.contentChanges.length > 0
        ) {
          this.clearHighlight();
        }
      }),
    );
  }

  /**
   * Opens the passage's document with the cursor at the start of the paragraph and the paragraph marked.
   * The paragraph is decorated, not selected, so typing cannot replace it by accident.
   */
  async open(item: ResultItem, column?: vscode.ViewColumn): Promise<vscode.TextEditor | undefined> {
    // A document of a zipped bulk file: its ranges refer to the zip entry's text, which no editor shows.
    if (/\.zip$/i.test(item.uri)) {
      this.notifier.warn(
        `${item.documentLabel} ${item.paragraphLabel} is inside the zip archive ${decodeURIComponent(item.uri.split('/').pop() ?? item.uri)}: unpack it to open the paragraph (its text is in the results).`,
      );
      return undefined;
    }
    let uri: vscode.Uri | undefined;
    try {
      uri = hitUri(item.uri);
    } catch {
      uri = undefined; // not a URI at all
    }
    if (!uri || !this.isWorkspaceDocument(uri)) {
      this.notifier.warn(
        `Not opening ${JSON.stringify(item.uri.slice(0, 300))}: it is not a document of this workspace's index.`,
      );
      return undefined;
    }
    try {
      const document = await vscode.workspace.openTextDocument(uri);
      const lastLine = Math.max(0, document.lineCount - 1);
      const start = document.validatePosition(
        new vscode.Position(Math.min(item.range.startLine, lastLine), item.range.startCharacter),
      );
      const end = document.validatePosition(
        new vscode.Position(Math.min(item.range.endLine, lastLine), item.range.endCharacter),
      );
      const range = new vscode.Range(start, end);
      const editor = await vscode.window.showTextDocument(document, {
        viewColumn: column ?? vscode.ViewColumn.One,
        preview: true,
        preserveFocus: false,
        selection: new vscode.Range(start, start),
      });
      editor.revealRange(range, vscode.TextEditorRevealType.AtTop);
      this.clearHighlight();
      editor.setDecorations(this.highlight, [range]);
      this.highlighted = { editor, uri: document.uri.toString() };
      this.logger.debug(`Opened ${item.citationKey} ${item.paragraphLabel} at line ${start.line + 1}`);
      return editor;
    } catch (error) {
      this.notifier.error(
        `Could not open ${item.documentLabel} ${item.paragraphLabel}: ${describeError(error)}`,
        error,
      );
      return undefined;
    }
  }

  async copyCitation(item: ResultItem): Promise<void> {
    const text = citation(item);
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`$(copy) Copied "${text}"`, 3000);
  }

  async copyAll(results: ResultsView): Promise<void> {
    const text = citationList(results.items);
    await vscode.env.clipboard.writeText(text);
    const documents = new Set(results.items.map((i) => i.citationKey)).size;
    vscode.window.setStatusBarMessage(`$(copy) Copied citations of ${documents} documents`, 3000);
  }

  /** Asks for a format and opens the list in a new untitled editor (nothing is written to disk unasked). */
  async export(results: ResultsView): Promise<void> {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Markdown', description: 'table + quoted passages', format: 'markdown' as const },
        { label: 'CSV', description: 'one row per passage', format: 'csv' as const },
      ],
      { title: 'Export similar passages', placeHolder: 'Format of the exported list' },
    );
    if (!pick) return;
    const content = pick.format === 'markdown' ? exportMarkdown(results) : exportCsv(results);
    const document = await vscode.workspace.openTextDocument({
      content,
      language: pick.format === 'markdown' ? 'markdown' : 'csv',
    });
    await vscode.window.showTextDocument(document, { preview: false });
  }

  /**
   * The result-list messages the panel and the sidebar both send (open, copy, export, show log); returns
   * false for any other message, which the view handles itself.
   */
  async handleResultMessage(
    message: WebviewMessage,
    results: ResultsView | undefined,
    column: vscode.ViewColumn | undefined,
  ): Promise<boolean> {
    const item = (itemId: string) => results?.items.find((i) => i.id === itemId);
    switch (message.type) {
      case 'open': {
        const found = item(message.itemId);
        if (found) await this.open(found, column ?? vscode.ViewColumn.One);
        return true;
      }
      case 'copyCitation': {
        const found = item(message.itemId);
        if (found) await this.copyCitation(found);
        return true;
      }
      case 'copyAllCitations':
        if (results) await this.copyAll(results);
        return true;
      case 'export':
        if (results) await this.export(results);
        return true;
      case 'showLog':
        await vscode.commands.executeCommand('patentPassages.showLog');
        return true;
      default:
        return false;
    }
  }

  private clearHighlight(): void {
    if (!this.highlighted) return;
    this.highlighted.editor.setDecorations(this.highlight, []);
    this.highlighted = undefined;
  }

  dispose(): void {
    this.highlight.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
