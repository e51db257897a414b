import type * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { HostMessage, WebviewMessage } from '../shared/protocol';
import { parseWebviewMessage } from '../shared/protocol';

/**
 * The host's end of a webview's message channel. Nothing is posted before the webview says `ready`;
 * then (and after every reload of the webview) `init()` supplies the full state in one message.
 */
export class WebviewChannel implements vscode.Disposable {
  private ready = false;
  private readonly listener: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly logger: Logger,
    private readonly init: () => HostMessage[],
    private readonly handle: (message: WebviewMessage) => void | Promise<void>,
  ) {
    this.listener = webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      if (!message) {
        this.logger.warn(`Ignored a malformed message from a webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      if (message.type === 'ready') {
        this.ready = true;
        for (const m of this.init()) void this.webview.postMessage(m);
        return;
      }
      void Promise.resolve(this.handle(message)).catch((error: unknown) =>
        this.logger.error(`Handling "${message.type}" from a webview failed`, error),
      );
    });
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The webview was hidden and will reload: wait for its next `ready`. */
  reset(): void {
    this.ready = false;
  }

  post(message: HostMessage): void {
    if (this.ready) void this.webview.postMessage(message);
  }

  dispose(): void {
    this.listener.dispose();
  }
}
