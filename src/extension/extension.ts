import * as vscode from 'vscode';
import type { Logger } from '../core/logger';

/**
 * The composition root: every service is created here, handed its dependencies through its constructor,
 * and registered for disposal with the extension context. Nothing else creates long-lived objects.
 */
export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('Patent Passages', { log: true });
  context.subscriptions.push(channel);
  const logger: Logger = channel;

  context.subscriptions.push(
    vscode.commands.registerCommand('patentPassages.showLog', () => channel.show(true)),
  );

  logger.info(`Patent Passages ${String(context.extension.packageJSON.version)} activated`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
