// Checks that the harness's code-server (the one `npm start` and the tests use) makes no outgoing connection of
// its own: starts it with the network recorder (test/support/network-recorder.cjs, loopback/IPC not recorded),
// opens the sample workspace in chromium, waits, opens the Extensions view (which queries the gallery when one
// is configured), stops, and prints what code-server's Node processes tried to reach and every request of the
// page to anything but the server. Exit 1 on any.
//
// Usage: node --import tsx test/vscode/network-check.ts   (WAIT_MS: how long to idle first, default 25000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from './browser';
import { readNetworkLog, startCodeServer } from './server';
import { prepareSampleWorkspace } from './workspace';

async function main(): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'patent-passages-network-check-'));
  const log = join(scratch, 'network.jsonl');
  const requests: string[] = [];
  try {
    const workspace = prepareSampleWorkspace(join(scratch, 'workspace'));
    const server = await startCodeServer({ networkLog: log });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      page.on('request', (request) => {
        const url = request.url();
        if (!url.startsWith(`${server.baseUrl}/`) && !/^(data|blob|vscode-[\w-]+):/.test(url))
          requests.push(url);
      });
      await page.goto(server.folderUrl(workspace));
      await page.waitForTimeout(Number(process.env.WAIT_MS ?? 25_000));
      await page.keyboard.press('Control+Shift+X');
      await page.waitForTimeout(8_000);
    } finally {
      await browser.close();
      await server.stop();
    }
    const { attempts, loaded } = readNetworkLog(log);
    const where = [...new Set(loaded.map((l) => `${l.entry ?? l.argv1 ?? '?'}#${l.thread}`))];
    console.log(
      `recorder active in ${new Set(loaded.map((l) => l.pid)).size} processes: ${where.join(', ')}`,
    );
    console.log(`code-server attempts: ${attempts.length}`);
    for (const a of attempts) console.log(`  ${a.kind} ${a.target} (${a.argv1})\n${a.stack}`);
    console.log(`page requests off the server: ${requests.length}`);
    for (const url of requests) console.log(`  ${url}`);
    return attempts.length + requests.length > 0 ? 1 : 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`network check: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
