import * as vscode from 'vscode';
import { DocumentParser } from '../core/documents';
import type { Logger } from '../core/logger';
import type { IndexStatus } from '../core/search/types';
import { CLAIM_SELECTOR, DocumentModels } from './claims';
import { EditorTracker, registerCommands } from './commands';
import { currentConfig, type LogLevelName } from './config';
import { VscodeDocumentSource } from './documentSource';
import { EngineHost } from './engineHost';
import { ClaimCodeLensProvider, ClaimHoverProvider } from './hover';
import { Notifier } from './notifier';
import { PassageActions } from './passageActions';
import { PANEL_VIEW_TYPE, ResultsPanel } from './resultsPanel';
import { SearchService } from './searchService';
import { SIDEBAR_VIEW_ID, SidebarView } from './sidebarView';

/** What activate() returns: enough for tests inside VS Code to wait for the index. */
export interface PatentPassagesApi {
  status(): IndexStatus;
  onDidChangeStatus(listener: (status: IndexStatus) => void): { dispose(): void };
}

const LEVELS: LogLevelName[] = ['error', 'warn', 'info', 'debug'];

/** The output channel behind the `patentPassages.logLevel` setting. */
function levelFiltered(channel: vscode.LogOutputChannel, level: () => LogLevelName): Logger {
  const allowed = (l: LogLevelName) => LEVELS.indexOf(l) <= LEVELS.indexOf(level());
  return {
    error: (m, ...a) => allowed('error') && channel.error(m, ...a),
    warn: (m, ...a) => allowed('warn') && channel.warn(m, ...a),
    info: (m, ...a) => allowed('info') && channel.info(m, ...a),
    debug: (m, ...a) => allowed('debug') && channel.debug(m, ...a),
  };
}

/**
 * The composition root: every service is created here, handed its dependencies through its constructor,
 * and registered for disposal with the extension context. Nothing else creates long-lived objects.
 */
export function activate(context: vscode.ExtensionContext): PatentPassagesApi {
  const channel = vscode.window.createOutputChannel('Patent Passages', { log: true });
  context.subscriptions.push(channel);
  let logLevel = currentConfig().logLevel;
  const logger: Logger = levelFiltered(channel, () => logLevel);
  const showLog = (): void => channel.show(true);
  const notifier = new Notifier(logger, showLog);

  context.subscriptions.push(vscode.commands.registerCommand('patentPassages.showLog', showLog));

  const storageDir = context.storageUri?.scheme === 'file' ? context.storageUri.fsPath : undefined;
  // Parsing runs in a worker thread (out/document-worker.js beside this bundle) owned by the extension.
  const documents = new DocumentParser();
  context.subscriptions.push({ dispose: () => void documents.dispose() });
  const engine = new EngineHost({
    extensionPath: context.extensionPath,
    storageDir,
    logger,
    notifier,
    documents,
  });
  const models = new DocumentModels(documents, logger);
  const service = new SearchService(engine, () => currentConfig(), logger);
  // Passages open only if they are documents of the workspace's index (restored panel state is untrusted).
  const documentScope = new VscodeDocumentSource(() => currentConfig());
  const actions = new PassageActions(logger, notifier, (uri) => documentScope.inScope(uri));
  const tracker = new EditorTracker();
  const panel = new ResultsPanel(context.extensionUri, service, actions, () => engine.statusView(), logger);
  const sidebar = new SidebarView({
    extensionUri: context.extensionUri,
    service,
    models,
    actions,
    status: () => engine.statusView(),
    logger,
    openInPanel: (results, column) => panel.showResults(results, column),
    reindex: () =>
      void engine.reindex().catch((error: unknown) => notifier.error('Re-indexing failed', error)),
  });
  context.subscriptions.push(engine, models, service, actions, tracker, panel, sidebar);

  context.subscriptions.push(
    engine.onDidChangeStatus(() => {
      const view = engine.statusView();
      sidebar.postStatus(view);
      panel.postStatus(view);
    }),
    vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, sidebar),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (webviewPanel, state) => panel.restore(webviewPanel, state),
    }),
    vscode.languages.registerHoverProvider(CLAIM_SELECTOR, new ClaimHoverProvider(models, service)),
    ...registerCommands(
      {
        models,
        panel,
        sidebar,
        actions,
        notifier,
        logger,
        reindex: () => engine.reindex(),
        cancelIndexing: () => engine.cancelIndexing(),
        showLog,
      },
      tracker,
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('patentPassages.logLevel')) logLevel = currentConfig().logLevel;
    }),
  );
  const codeLens = new ClaimCodeLensProvider(models, service);
  context.subscriptions.push(codeLens, vscode.languages.registerCodeLensProvider(CLAIM_SELECTOR, codeLens));

  logger.info(
    `Patent Passages ${String(context.extension.packageJSON.version)} activated` +
      (vscode.workspace.isTrusted ? '' : ' in Restricted Mode (bundled model only)'),
  );
  // Index in the background (in an ordinary code project only once asked: see indexOnStartup); the first
  // search starts the engine, or waits for it, if it is not ready yet.
  void (async () => {
    const when = currentConfig().indexOnStartup;
    if (when === 'never' || (when === 'auto' && !(await engine.hasPatentDocuments()))) {
      const reason =
        when === 'never'
          ? 'Not indexed yet (indexOnStartup is "never"): a search or Re-index starts it.'
          : 'Not indexed yet: no patent document found in this workspace. A search or Re-index starts it.';
      logger.info(reason);
      engine.defer(reason);
      return;
    }
    await engine.start();
  })().catch((error: unknown) => notifier.error('Patent Passages could not start its index', error));

  return { status: () => engine.status(), onDidChangeStatus: (l) => engine.onDidChangeStatus(l) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
