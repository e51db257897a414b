import * as vscode from 'vscode';
import type { Logger } from '../core/logger';

/**
 * Shows problems to the user once, in plain words with a "Show log" action; the details (stack, cause)
 * go to the log only. The same message is not shown again until `reset` (e.g. after a successful run).
 */
export class Notifier {
  private readonly shown = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly showLog: () => void,
  ) {}

  error(message: string, error?: unknown): void {
    this.logger.error(message, ...(error === undefined ? [] : [error]));
    this.notify('error', message);
  }

  warn(message: string, error?: unknown): void {
    this.logger.warn(message, ...(error === undefined ? [] : [error]));
    this.notify('warn', message);
  }

  reset(message?: string): void {
    if (message === undefined) this.shown.clear();
    else this.shown.delete(message);
  }

  private notify(kind: 'error' | 'warn', message: string): void {
    if (this.shown.has(message)) return;
    this.shown.add(message);
    const show = kind === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    void show(message, 'Show log').then((choice) => {
      if (choice === 'Show log') this.showLog();
    });
  }
}

/** The user-facing part of an error: its message without stack or internal prefixes. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
