import { chromium, type Browser } from 'playwright-core';
import { chromiumPath, requireSetUp } from './paths';

/** Launches Debian's headless chromium with everything that would reach the network switched off. */
export async function launchBrowser(): Promise<Browser> {
  requireSetUp();
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Belt and braces for the privacy promise: no name resolves except the harness's own loopback
      // server, so nothing the workbench or a webview might load from the internet can leave the machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ],
  });
}
