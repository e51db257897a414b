import type { Logger } from '../core/logger';

/**
 * Times a search from the user's action (the command, the cursor move) to the webview reporting its rows
 * painted, and logs it: the figure users feel, which search timings alone do not show.
 */
export class RenderTimer {
  private readonly started = new Map<number, { at: number; searchMs: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly describe: (count: number, totalMs: number, searchMs: number) => string,
  ) {}

  start(searchId: number, at: number, searchMs: number): void {
    this.started.set(searchId, { at, searchMs });
    // Searches overtaken before they were painted never report: keep only the latest few.
    if (this.started.size > 16) this.started.delete(this.started.keys().next().value as number);
  }

  rendered(searchId: number, count: number): void {
    const started = this.started.get(searchId);
    if (!started) return;
    this.started.delete(searchId);
    this.logger.info(this.describe(count, performance.now() - started.at, started.searchMs));
  }
}
