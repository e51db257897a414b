/**
 * The drafting UI's VS Code layer inside the real extension host, on the sample workspace (the Markdown
 * draft and the shared USPTO/EPO documents): commands, claim-under-cursor resolution, hover scores, the
 * settings reader. (The webviews themselves are tested end to end in test/e2e/ui-drafting.e2e.ts.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import packageJson from '../../package.json';
import type { PatentPassagesApi } from '../../src/extension/extension';
import { DocumentModels, resolveQuery } from '../../src/extension/claims';
import { currentConfig, DEFAULTS, readConfig, type ConfigurationSource } from '../../src/extension/config';
import { SearchService } from '../../src/extension/searchService';
import type { SearchQuery } from '../../src/core/search/types';
import { DocumentParser } from '../../src/core/documents';
import { silentLogger } from '../../src/core/logger';
import { waitFor } from './wait';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;

function workspaceFile(...path: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder open');
  return vscode.Uri.joinPath(folder.uri, ...path);
}

async function openAt(uri: vscode.Uri, line: number, character = 4): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  const position = new vscode.Position(line, character);
  editor.selection = new vscode.Selection(position, position);
  return editor;
}

/** A plain object standing in for a WorkspaceConfiguration. */
function configSource(
  values: Record<string, unknown>,
  workspaceModel?: string,
  userModel?: string,
): ConfigurationSource {
  return {
    get: <T>(key: string) => values[key] as T | undefined,
    inspect: <T>(key: string) =>
      key === 'model'
        ? { workspaceValue: workspaceModel as T | undefined, globalValue: userModel as T | undefined }
        : undefined,
  };
}

describe('Drafting UI (VS Code layer)', function () {
  this.timeout(120_000);
  // The extension's own document worker: this bundle is out/test/integration/index.js, the worker out/.
  const parser = new DocumentParser(join(__dirname, '..', '..', 'document-worker.js'));
  const models = new DocumentModels(parser, silentLogger);
  let api: PatentPassagesApi;

  before(async () => {
    const extension = vscode.extensions.getExtension<PatentPassagesApi>(extensionId);
    assert.ok(extension);
    api = await extension.activate();
  });

  after(async () => {
    models.dispose();
    await parser.dispose();
  });

  it('registers the drafting commands, the sidebar view and the keybinding', async () => {
    const commands = new Set(await vscode.commands.getCommands(true));
    for (const id of [
      'patentPassages.findSimilar',
      'patentPassages.reindex',
      'patentPassages.exportResults',
      'patentPassages.copyCitations',
      'patentPassages.sidebar.focus',
    ]) {
      assert.ok(commands.has(id), `${id} is not registered`);
    }
    const keybinding = packageJson.contributes.keybindings.find(
      (k) => k.command === 'patentPassages.findSimilar',
    );
    assert.equal(keybinding?.key, 'ctrl+alt+p');
  });

  it('resolves the claim under the cursor in the Markdown draft, and a selection', async () => {
    const uri = workspaceFile('draft-ecg-patch.md');
    let editor = await openAt(uri, 63); // "a flexible substrate…", inside claim 1
    const claim1 = await resolveQuery(models, editor, 'none');
    assert.equal(claim1?.claim?.number, 1);
    assert.equal(claim1?.view.title, 'Claim 1');
    assert.match(claim1?.text ?? '', /^A wearable patch for monitoring a physiological signal, comprising:/);

    editor = await openAt(uri, 75); // claim 3 "…of claim 1 or 2, wherein samples of a burst…"
    const claim3 = await resolveQuery(models, editor, 'none');
    assert.equal(claim3?.claim?.number, 3);
    assert.deepEqual(claim3?.claim?.dependsOn, [1, 2]);
    const withParent = await resolveQuery(models, editor, 'parent');
    assert.equal(withParent?.view.title, 'Claim 3 (with claim 1)');
    assert.ok(withParent?.text.startsWith('A wearable patch for monitoring'));
    assert.ok(withParent?.text.endsWith(claim3?.text ?? '-'));

    editor = await openAt(uri, 30); // a description paragraph: not a claim
    assert.equal(await resolveQuery(models, editor, 'none'), undefined);

    editor.selection = new vscode.Selection(30, 0, 31, 20);
    const selection = await resolveQuery(models, editor, 'none');
    assert.equal(selection?.view.title, 'Selection');
    assert.equal(selection?.text, editor.document.getText(editor.selection).trim().replace(/\s+/g, ' '));
  });

  it('resolves claims from unsaved edits', async () => {
    const uri = workspaceFile('draft-ecg-patch.md');
    const editor = await openAt(uri, 0);
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    const added = '\n\n7. The wearable patch of claim 1, wherein the hub is a smartphone.\n';
    assert.ok(await editor.edit((b) => b.insert(end, added)));
    try {
      const line = editor.document.lineCount - 2;
      editor.selection = new vscode.Selection(line, 10, line, 10);
      const query = await resolveQuery(models, editor, 'none');
      assert.equal(query?.claim?.number, 7);
      assert.match(query?.text ?? '', /hub is a smartphone/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    assert.equal(editor.document.isDirty, false, 'the edit was not reverted');
  });

  it('resolves a claim of a USPTO XML grant', async () => {
    const uri = workspaceFile('prior-art', 'uspto', 'US08926509.xml');
    const document = await vscode.workspace.openTextDocument(uri);
    const line = document
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('2. The system of <claim-ref'));
    assert.ok(line > 0);
    const editor = await openAt(uri, line, 30);
    const query = await resolveQuery(models, editor, 'none');
    assert.equal(query?.claim?.number, 2);
    assert.deepEqual(query?.claim?.dependsOn, [1]);
    assert.equal(query?.view.source, 'US08926509.xml');
  });

  it('the hover over a claim says "computing…" at once, then shows the top 3 scores', async () => {
    await waitFor(
      'the index to finish',
      () => (api.status().state === 'idle' && api.status().documents > 0) || undefined,
      90_000,
    );
    const uri = workspaceFile('draft-ecg-patch.md');
    const editor = await openAt(uri, 84); // claim 6, the method claim
    const position = editor.selection.active;
    const hoverText = async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        uri,
        position,
      );
      return hovers
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
        .filter((text) => text.includes('Patent Passages'))
        .join('\n');
    };
    const first = await hoverText();
    assert.match(first, /Claim 6/);
    assert.match(first, /computing…/, `the first hover did not say computing…: ${first}`);
    const withScores = await waitFor(
      'the hover to show scores',
      async () => {
        const text = await hoverText();
        return /computing…/.test(text) ? undefined : text;
      },
      30_000,
    );
    const scores = [...withScores.matchAll(/`([01]\.\d{3})`/g)].map((m) => Number(m[1]));
    assert.equal(scores.length, 3, withScores);
    assert.ok(scores[0]! >= scores[1]! && scores[1]! >= scores[2]!, `not descending: ${scores.join(', ')}`);
    assert.match(withScores, /command:patentPassages\.findSimilar\?/);
    // The hover's Markdown escapes the citation's dot: "Spec\.:" for the drafter's own specification.
    assert.match(withScores, /\*\*(D\d+|Spec\\\.): /);
    // Why each ranks, in words (the hover has no colours): the words it shares with the claim.
    assert.equal([...withScores.matchAll(/^\*Shares: \w/gm)].length, 3, withScores);
  });

  it('shows a CodeLens per claim with its best score when enabled (off by default)', async () => {
    const uri = workspaceFile('draft-ecg-patch.md');
    await openAt(uri, 0);
    const lenses = async () =>
      (
        await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)
      ).filter((l) => l.command?.command === 'patentPassages.findSimilar');
    assert.equal((await lenses()).length, 0, 'CodeLens shown although off by default');
    const section = vscode.workspace.getConfiguration('patentPassages');
    await section.update('codeLens.enabled', true, vscode.ConfigurationTarget.Workspace);
    try {
      const filled = await waitFor(
        'every claim lens to show its best score',
        async () => {
          const found = await lenses();
          return found.length === 6 && found.every((l) => l.command?.title.startsWith('Best match'))
            ? found
            : undefined;
        },
        60_000,
      );
      // One lens per claim, on the claim's first line (claims 1–6 start on lines 63, 72, 75, 78, 81, 84).
      assert.deepEqual(
        filled.map((l) => l.range.start.line),
        [62, 71, 74, 77, 80, 83],
      );
      assert.match(filled[0]!.command!.title, /^Best match [01]\.\d{3} · (D\d+|Spec\.): /);
    } finally {
      await section.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('reads and validates the settings', async () => {
    const defaults = readConfig(configSource({}), true);
    assert.equal(defaults.mode, 'hybrid');
    assert.equal(defaults.topK, 10);
    assert.equal(defaults.hoverEnabled, true);
    assert.equal(defaults.codeLensEnabled, false);
    assert.equal(defaults.indexOnStartup, 'auto');
    assert.equal(defaults.feedback, false);
    assert.equal(defaults.documentEvidence, true);

    const odd = readConfig(
      configSource({
        mode: 'psychic',
        topK: 5000,
        minScore: -2,
        include: ['*.xml', 7, ''],
        indexOnStartup: 'sometimes',
        'search.feedback': 'yes',
        'search.documentEvidence': false,
      }),
      true,
    );
    assert.equal(odd.feedback, false);
    assert.equal(odd.documentEvidence, false);
    assert.equal(odd.indexOnStartup, 'auto');
    assert.equal(odd.mode, 'hybrid');
    assert.equal(odd.topK, 200);
    assert.equal(odd.minScore, 0);
    assert.deepEqual(odd.include, ['*.xml']);

    // And from VS Code itself: a workspace setting is seen by the typed reader.
    const section = vscode.workspace.getConfiguration('patentPassages');
    await section.update('topK', 7, vscode.ConfigurationTarget.Workspace);
    try {
      assert.equal(currentConfig().topK, 7);
    } finally {
      await section.update('topK', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(currentConfig().topK, 10);

    // The issue-11 switches are declared with the core's defaults (feedback off, document evidence on) and
    // read from VS Code.
    const declared = packageJson.contributes.configuration.properties as Record<
      string,
      { default?: unknown }
    >;
    assert.equal(declared['patentPassages.search.feedback']?.default, false);
    assert.equal(declared['patentPassages.search.documentEvidence']?.default, true);
    await section.update('search.feedback', true, vscode.ConfigurationTarget.Workspace);
    try {
      assert.equal(currentConfig().feedback, true);
      assert.equal(currentConfig().documentEvidence, true);
    } finally {
      await section.update('search.feedback', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(currentConfig().feedback, false);
  });

  it('passes the feedback and document-evidence settings to the index, and keeps answers apart by them', async () => {
    const sent: SearchQuery[] = [];
    // Records what the service asks the index; the answer's content is not what this test is about.
    const port = {
      search: async (query: SearchQuery) => {
        sent.push(query);
        return { results: [], timings: {}, mode: query.mode ?? 'hybrid' };
      },
      status: () => api.status(),
      onDidChangeStatus: () => ({ dispose() {} }),
    };
    let config = { ...DEFAULTS };
    const service = new SearchService(port, () => config, silentLogger);
    try {
      const query = {
        text: 'A wearable patch comprising a radio',
        view: { title: 'Claim 1', source: 'draft-ecg-patch.md', text: 'A wearable patch comprising a radio' },
        uri: 'file:///ws/draft-ecg-patch.md',
        key: 'claim-1',
      };
      await service.search(query);
      assert.equal(sent[0]?.feedback, false);
      assert.equal(sent[0]?.documentEvidence, true);
      assert.ok(service.peek(query));
      config = { ...DEFAULTS, feedback: true, documentEvidence: false };
      // Another setting, another answer: the one remembered under the defaults is not shown for it.
      assert.equal(service.peek(query), undefined);
      await service.search(query);
      assert.equal(sent[1]?.feedback, true);
      assert.equal(sent[1]?.documentEvidence, false);
    } finally {
      service.dispose();
    }
  });

  it('ignores a workspace-set model folder when the workspace is not trusted', () => {
    const source = configSource({ model: '/workspace/evil-model' }, '/workspace/evil-model', undefined);
    assert.equal(readConfig(source, true).model, '/workspace/evil-model');
    assert.equal(readConfig(source, false).model, '');
    const userSet = configSource({ model: '/home/me/model' }, undefined, '/home/me/model');
    assert.equal(readConfig(userSet, false).model, '/home/me/model');
    const declared = packageJson.capabilities.untrustedWorkspaces as { restrictedConfigurations?: string[] };
    assert.deepEqual(declared.restrictedConfigurations, ['patentPassages.model']);
  });
  it('falls back to the bundled model when the model folder setting is unusable', async () => {
    await waitFor('the index to finish', () => api.status().state === 'idle' || undefined, 90_000);
    const bundled = api.status().modelId;
    const seen: string[] = [];
    const listener = api.onDidChangeStatus((s) => seen.push(`${s.state}:${s.modelId}`));
    const section = vscode.workspace.getConfiguration('patentPassages');
    try {
      await section.update('model', './no-such-model', vscode.ConfigurationTarget.Workspace);
      // The engine restarts on the setting, tries the folder, warns once and loads the bundled model.
      await waitFor(
        'the engine to restart',
        () => seen.some((s) => s.startsWith('indexing:no-such-model')),
        30_000,
      );
      await waitFor(
        'the index to be back',
        () => (api.status().state === 'idle' && api.status().documents > 0 ? true : undefined),
        90_000,
      );
      assert.equal(api.status().modelId, bundled);
      assert.ok(api.status().documents > 0);
    } finally {
      listener.dispose();
      await section.update('model', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(
      'the index after the reset',
      () => (api.status().state === 'idle' ? true : undefined),
      90_000,
    );
  });
});
