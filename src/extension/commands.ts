/** The commands of the extension; registered by the composition root. */
import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { resolveQuery, type DocumentModels, type ResolvedQuery } from './claims';
import { currentConfig } from './config';
import type { FindSimilarArgs } from './hover';
import { describeError, type Notifier } from './notifier';
import type { PassageActions } from './passageActions';
import type { ResultsPanel } from './resultsPanel';
import type { SidebarView } from './sidebarView';
import { hitUri } from './searchService';

export interface CommandDeps {
  models: DocumentModels;
  panel: ResultsPanel;
  sidebar: SidebarView;
  actions: PassageActions;
  notifier: Notifier;
  logger: Logger;
  reindex: () => Promise<void>;
  /** Stops the indexing in progress; false when none was running. */
  cancelIndexing: () => boolean;
  showLog: () => void;
}

function isFindSimilarArgs(value: unknown): value is FindSimilarArgs {
  const v = value as FindSimilarArgs | undefined;
  return !!v && typeof v.uri === 'string' && typeof v.line === 'number' && typeof v.character === 'number';
}

/** Keeps the last text editor, so a command run from a focused webview still knows the claim's editor. */
export class EditorTracker implements vscode.Disposable {
  private last: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor((e) => {
    if (e) this.last = e;
  });
  get editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    return this.last && vscode.window.visibleTextEditors.includes(this.last) ? this.last : undefined;
  }
  dispose(): void {
    this.subscription.dispose();
  }
}

export function registerCommands(deps: CommandDeps, tracker: EditorTracker): vscode.Disposable[] {
  const findSimilar = async (args?: unknown): Promise<void> => {
    const startedAt = performance.now();
    const config = currentConfig();
    let query: ResolvedQuery | undefined;
    let column: vscode.ViewColumn | undefined;
    if (isFindSimilarArgs(args)) {
      // From a hover or CodeLens link: the claim at that position, whatever the selection.
      const uri = hitUri(args.uri);
      const document = await vscode.workspace.openTextDocument(uri);
      const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
      column = editor?.viewColumn;
      const position = new vscode.Position(args.line, args.character);
      const fake = { document, selection: new vscode.Selection(position, position) } as vscode.TextEditor;
      query = await resolveQuery(deps.models, fake, config.dependentClaimContext, false);
    } else {
      const editor = tracker.editor;
      if (!editor) {
        void vscode.window.showInformationMessage(
          'Open a patent draft and place the cursor in a claim to find similar passages.',
        );
        return;
      }
      column = editor.viewColumn;
      query = await resolveQuery(deps.models, editor, config.dependentClaimContext, true);
    }
    if (!query) {
      void vscode.window.showInformationMessage(
        'The cursor is not in a claim. Place it in a numbered claim (or select text) to find similar passages.',
      );
      return;
    }
    try {
      await deps.panel.show(query, column, startedAt);
    } catch (error) {
      deps.notifier.error(`Finding similar passages failed: ${describeError(error)}`, error);
    }
  };

  const currentResults = () =>
    (deps.panel.visible ? deps.panel.current : undefined) ?? deps.sidebar.current ?? deps.panel.current;

  return [
    vscode.commands.registerCommand('patentPassages.findSimilar', findSimilar),
    vscode.commands.registerCommand('patentPassages.reindex', async () => {
      try {
        await deps.reindex();
      } catch (error) {
        deps.notifier.error(`Re-indexing failed: ${describeError(error)}`, error);
      }
    }),
    vscode.commands.registerCommand('patentPassages.cancelIndexing', () => {
      if (!deps.cancelIndexing())
        void vscode.window.showInformationMessage('Patent Passages is not indexing.');
    }),
    vscode.commands.registerCommand('patentPassages.exportResults', async () => {
      const results = currentResults();
      if (!results) {
        void vscode.window.showInformationMessage(
          'There are no results to export yet: run "Find similar passages" first.',
        );
        return;
      }
      await deps.actions.export(results);
    }),
    vscode.commands.registerCommand('patentPassages.copyCitations', async () => {
      const results = currentResults();
      if (!results) {
        void vscode.window.showInformationMessage(
          'There are no results to cite yet: run "Find similar passages" first.',
        );
        return;
      }
      await deps.actions.copyAll(results);
    }),
  ];
}
