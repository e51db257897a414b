/**
 * The idle part of the integration run's system-call privacy check (test/vscode/run-integration.ts runs
 * code-server under strace): once the extension has indexed the sample workspace with its model, the
 * extension host stays idle for IDLE_MS with the model loaded. onnxruntime's telemetry, were it on, would
 * look up its host ~9.5 s after the model loaded; the runner fails the run on any DNS query it traced.
 * (The extension host ends with the suite, so the idle time has to be spent inside it.)
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import packageJson from '../../package.json';
import type { PatentPassagesApi } from '../../src/extension/extension';
import { waitFor } from './wait';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;
const IDLE_MS = 20_000;

describe('Privacy (system calls)', () => {
  it('keeps the extension host idle for 20 s with the model loaded, inside the traced window', async function () {
    this.timeout(240_000);
    const extension = vscode.extensions.getExtension<PatentPassagesApi>(extensionId);
    assert.ok(extension);
    const api = await extension.activate();
    const indexed = await waitFor(
      'the index and its embeddings to finish',
      () => {
        const s = api.status();
        return s.state === 'idle' && s.documents > 0 && !s.pendingEmbeddings && s.modelId !== ''
          ? s
          : undefined;
      },
      180_000,
    );
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const after = api.status();
    assert.equal(after.state, 'idle', 'nothing ran while idle');
    assert.equal(after.modelId, indexed.modelId, 'the same model stayed loaded');
  });
});
