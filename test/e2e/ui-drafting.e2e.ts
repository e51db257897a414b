/**
 * The drafting UI end to end, in the real workbench (code-server + chromium) on the sample workspace
 * (the Markdown draft plus the shared USPTO and EPO documents), with the real model and index:
 * "Find Similar Passages" → results panel; the sidebar following the cursor; hover scores; a click on a
 * result opening the document at the paragraph. Prints the measured timings; screenshots go to
 * artifacts/screenshots/ui-*.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import packageJson from '../../package.json';
import { e2eSession, openWorkbench } from '../vscode/e2e';
import { screenshotsDir, type Workbench } from '../vscode/workbench';

const extensionId = `${packageJson.publisher}.${packageJson.name}`;
const DRAFT = 'draft-ecg-patch.md';
/** 1-based lines of the draft's claims (test/fixtures/workspace/draft-ecg-patch.md). */
const CLAIM_1_LINE = 64;
const CLAIM_3_LINE = 75;
const CLAIM_5_LINE = 81;
const CLAIM_6_LINE = 85;

const timings: string[] = [];

function record(what: string, ms: number): void {
  const line = `${what}: ${Math.round(ms)} ms`;
  timings.push(line);
  console.log(`      [timing] ${line}`);
}

/** A screenshot of the smallest rectangle holding `regions` (for docs/images). */
async function regionShot(page: Page, name: string, ...regions: Locator[]): Promise<void> {
  const boxes = (await Promise.all(regions.map((r) => r.first().boundingBox()))).filter((b) => b !== null);
  if (boxes.length === 0) return;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const width = Math.max(...boxes.map((b) => b.x + b.width)) - x;
  const height = Math.max(...boxes.map((b) => b.y + b.height)) - y;
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), clip: { x, y, width, height } });
}

/** Runs a palette command that opens a quick pick, then picks the row containing `choice`. */
async function pick(page: Page, command: string, filter: string, choice: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(`>${command}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: command }).first().click();
  await input.fill(filter);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: choice }).first().click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

async function waitForIndex(workbench: Workbench): Promise<string> {
  const item = workbench.page.locator('.statusbar-item', { hasText: /Passages: \d+$/ });
  await item.first().waitFor({ timeout: 120_000 });
  return (await item.first().innerText()).trim();
}

async function scoresOf(list: Locator): Promise<number[]> {
  return list.locator('.result').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-score'))));
}

async function cursorLine(page: Page): Promise<number> {
  const text = await page
    .locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ })
    .first()
    .innerText();
  return Number(/Ln (\d+)/.exec(text)?.[1]);
}

describe('Drafting UI', function () {
  this.timeout(240_000);
  let workbench: Workbench;
  let page: Page;
  let panel: FrameLocator;
  let sidebar: FrameLocator;

  // One workbench for the whole suite: each step builds on the previous one (the index, the open panel).
  // The runner closes the workbenches a test opened after that test, so this one is taken off its list.
  before(async () => {
    workbench = await openWorkbench();
    page = workbench.page;
    const open = e2eSession().open;
    open.splice(open.indexOf(workbench), 1);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      console.log(
        `    screenshot of the failure: ${await workbench.screenshot(`FAILED-ui-${this.currentTest.title}`)}`,
      );
    }
  });

  after(async () => {
    // Leave the workbench as other suites expect it: the Explorer in the side bar (VS Code remembers the
    // active view container across windows of this server).
    await workbench?.runCommand('View: Show Explorer').catch(() => undefined);
    await workbench?.close();
    console.log(`\n    Measured in this run:\n${timings.map((t) => `      ${t}`).join('\n')}\n`);
  });

  it('"Find Similar Passages" with the cursor in claim 1 lists ranked passages with scores', async () => {
    await workbench.openFile(DRAFT);
    const status = await waitForIndex(workbench);
    console.log(`      index ready: ${status}`);
    await workbench.goToLine(CLAIM_1_LINE);

    panel = workbench.webview(extensionId);
    const started = Date.now();
    await page.keyboard.press('Control+Alt+P');
    const rows = panel.locator('ol.results .result');
    await rows.first().waitFor({ timeout: 60_000 });
    record('command → results on screen (panel, claim 1)', Date.now() - started);

    await assert.doesNotReject(panel.locator('.query-title', { hasText: 'Claim 1' }).waitFor());
    const scores = await scoresOf(panel.locator('ol.results'));
    assert.ok(scores.length >= 5, `expected at least 5 passages, got ${scores.length}`);
    for (const s of scores) assert.ok(s >= 0 && s <= 1, `score ${s} outside [0, 1]`);
    for (let i = 1; i < scores.length; i++) {
      assert.ok(scores[i - 1]! >= scores[i]!, `scores not descending at ${i}: ${scores.join(', ')}`);
    }
    const documents = await rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-document') ?? ''));
    console.log(`      ranked: ${documents.map((d, i) => `${d} ${scores[i]!.toFixed(3)}`).join(' | ')}`);
    // US 8,926,509 ("Wireless physiological sensor patches") is the closest art to the draft's claim 1.
    assert.ok(
      documents.slice(0, 5).some((d) => d.includes('8,926,509')),
      `US 8,926,509 not among the top 5: ${documents.slice(0, 5).join(', ')}`,
    );
    // Each row shows a score number and bar, a citation key and a paragraph label.
    const first = rows.first();
    assert.match(await first.locator('.score-value').innerText(), /^0\.\d{3}$|^1\.000$/);
    assert.match(await first.locator('.cite-key').innerText(), /^(D\d+|Spec\.)$/);
    assert.match(await first.locator('.paragraph').innerText(), /^\[\d{4}\]$|^paragraph \d+$/);
    assert.ok((await panel.locator('ol.results mark').count()) > 0, 'no shared terms highlighted');
    const summary = await panel.locator('.summary').innerText();
    console.log(`      panel summary: ${summary}`);
    await workbench.screenshot('ui-panel-claim-1');
    await regionShot(page, 'docs-panel', page.locator('.part.editor .editor-group-container').nth(1));

    // Again with the panel open (no webview to create): claim 6.
    await workbench.goToLine(CLAIM_6_LINE);
    const again = Date.now();
    await page.keyboard.press('Control+Alt+P');
    await panel.locator('.query-title', { hasText: 'Claim 6' }).waitFor({ timeout: 30_000 });
    await panel.locator('body[data-state="results"] ol.results .result').first().waitFor();
    record('command → results on screen (panel already open, claim 6)', Date.now() - again);
    // Back to claim 1 for the steps below.
    await workbench.goToLine(CLAIM_1_LINE);
    await page.keyboard.press('Control+Alt+P');
    await panel.locator('.query-title', { hasText: 'Claim 1' }).waitFor({ timeout: 30_000 });
  });

  it('the sidebar follows the cursor into another claim', async () => {
    await workbench.runCommand('Patent Passages: Focus on Similar Passages View');
    sidebar = workbench.webview(extensionId, { view: true });
    // The sidebar opens on the claim under the cursor (claim 1).
    await sidebar.locator('body[data-claim="1"] ol.results .result').first().waitFor({ timeout: 60_000 });
    await sidebar.locator('body[data-index-state="idle"]').waitFor();
    // Back to the editor, then into claim 3.
    await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
    const started = Date.now();
    await workbench.goToLine(CLAIM_3_LINE);
    await sidebar.locator('body[data-claim="3"] ol.results .result').first().waitFor({ timeout: 30_000 });
    record('cursor move → sidebar updated (claim 1 → 3, incl. 300 ms debounce)', Date.now() - started);
    const title = await sidebar.locator('.query-title').innerText();
    assert.equal(title, 'Claim 3');
    const scores = await scoresOf(sidebar.locator('ol.results'));
    assert.ok(scores.length > 0);
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1]! >= scores[i]!);
    assert.match(await sidebar.locator('.status-text').innerText(), /Indexed \d+ documents/);

    // Once more, to claim 5 (measured again: the model is warm now).
    const again = Date.now();
    await workbench.goToLine(CLAIM_5_LINE);
    await sidebar.locator('body[data-claim="5"] ol.results .result').first().waitFor({ timeout: 30_000 });
    record('cursor move → sidebar updated (claim 3 → 5)', Date.now() - again);
    await workbench.screenshot('ui-sidebar-claim-5');
    await regionShot(page, 'docs-sidebar', page.locator('.part.sidebar'));
  });

  it('hovering a claim shows its best passages with scores', async () => {
    // Claim 1 was searched above, so its scores are remembered and the hover shows them at once.
    await workbench.goToLine(CLAIM_1_LINE);
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    const number = editor.locator('.margin-view-overlays .line-numbers', {
      hasText: new RegExp(`^${CLAIM_1_LINE}$`),
    });
    const lineBox = await number.first().boundingBox();
    const textBox = await editor.locator('.view-lines').boundingBox();
    assert.ok(lineBox && textBox, 'claim 1 is not on screen');
    await page.mouse.move(textBox.x + 140, lineBox.y + lineBox.height / 2);
    const hover = page.locator('.monaco-hover', { hasText: 'Patent Passages' });
    await hover.first().waitFor({ timeout: 15_000 });
    const text = await hover.first().innerText();
    assert.match(text, /Claim 1/);
    // Each passage's score is the code span that starts its line (the "why" lines carry other numbers).
    const scores = (await hover.first().locator('code').allInnerTexts())
      .filter((s) => /^[01]\.\d{3}$/.test(s))
      .map(Number);
    assert.equal(scores.length, 3, `expected 3 scores in the hover, got: ${text}`);
    assert.ok(scores[0]! >= scores[1]! && scores[1]! >= scores[2]!);
    // A citation per passage: prior art (D1…) or, since document evidence, often the draft's own text.
    assert.match(text, /(D\d+|Spec\.): /);
    // Why each ranks, in words: the words it shares with the claim.
    assert.match(text, /Shares: \w/);
    await workbench.screenshot('ui-hover-claim-1');
    await regionShot(page, 'docs-hover', number, hover);
  });

  it('clicking a result opens the document at that paragraph', async () => {
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    // A prior-art passage: the jump goes to another document (an XML publication), not the draft.
    const row = panel.locator('ol.results .result[data-role="prior-art"]').first();
    const uri = (await row.getAttribute('data-uri')) ?? '';
    const line = Number(await row.getAttribute('data-line'));
    const paragraph = await row.getAttribute('data-paragraph');
    const file = decodeURIComponent(uri.split('/').pop() ?? '');
    await row.locator('.result-text').click();
    await page
      .locator(`.tabs-container .tab.active[data-resource-name="${file}"]`)
      .waitFor({ timeout: 15_000 });
    const deadline = Date.now() + 10_000;
    while ((await cursorLine(page)) !== line + 1 && Date.now() < deadline) await page.waitForTimeout(100);
    assert.equal(await cursorLine(page), line + 1);
    if (paragraph?.startsWith('[')) {
      // The paragraph's number is on screen in the editor.
      const editorText = await page
        .locator('.editor-group-container.active .monaco-editor .view-lines')
        .innerText();
      assert.ok(
        editorText.includes(paragraph.slice(1, -1)),
        `paragraph ${paragraph} not visible in the editor`,
      );
    }
    await workbench.screenshot('ui-open-passage');
  });
  it('works from the keyboard: arrows move between results, C copies the citation, Enter opens', async () => {
    const rows = panel.locator('ol.results .result');
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    const second = rows.nth(1);
    assert.equal(
      await second.evaluate((e) => e === e.ownerDocument.activeElement),
      true,
      'ArrowDown did not move focus',
    );
    const key = await second.getAttribute('data-citation-key');
    const label = await second.getAttribute('data-document');
    const paragraph = await second.getAttribute('data-paragraph');
    await page.keyboard.press('c');
    const expected = `${key}: ${label}, ${paragraph?.startsWith('[') ? `paragraph ${paragraph}` : paragraph}`;
    await page
      .locator('.statusbar-item', { hasText: `Copied "${expected}"` })
      .first()
      .waitFor({ timeout: 5_000 });
    const file = decodeURIComponent(((await second.getAttribute('data-uri')) ?? '').split('/').pop() ?? '');
    await page.keyboard.press('Enter');
    await page
      .locator(`.tabs-container .tab.active[data-resource-name="${file}"]`)
      .waitFor({ timeout: 15_000 });
    const line = Number(await second.getAttribute('data-line'));
    const deadline = Date.now() + 10_000;
    while ((await cursorLine(page)) !== line + 1 && Date.now() < deadline) await page.waitForTimeout(100);
    assert.equal(await cursorLine(page), line + 1);
  });

  it('exports the list as Markdown into a new editor', async () => {
    await pick(page, 'Patent Passages: Export Results', 'Markdown', 'Markdown');
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines');
    await editor
      .locator('.view-line', { hasText: 'Passages similar to Claim 1' })
      .first()
      .waitFor({ timeout: 10_000 });
    const text = (await editor.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /\| 1 \| 0\.\d{3} \|/);
    // Close the untitled export without a save prompt (it is only a preview of the list).
    await workbench.runCommand('View: Revert and Close Editor');
  });

  it('shows per-element scores when "Claim elements" is ticked', async () => {
    const toggle = panel.locator('#element-matching');
    assert.equal(await toggle.isChecked(), false);
    await toggle.check();
    const elements = panel.locator('ol.results .result').first().locator('.elements li');
    await elements.first().waitFor({ timeout: 30_000 });
    // Claim 1 has five elements after "comprising" (substrate, front end, buffer, radio, processor).
    const count = await elements.count();
    assert.ok(count >= 3, `only ${count} element rows`);
    const scores = await elements.locator('.element-score').allInnerTexts();
    for (const s of scores) assert.match(s, /^-?[01]\.\d\d$/);
    await workbench.screenshot('ui-panel-elements');
    await toggle.uncheck();
    await panel
      .locator('ol.results .result .elements')
      .first()
      .waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('follows the colour theme (light and high contrast)', async () => {
    for (const [theme, bodyClass, shot] of [
      ['Light Modern', 'vscode-light', 'ui-theme-light'],
      ['Dark High Contrast', 'vscode-high-contrast', 'ui-theme-high-contrast'],
    ] as const) {
      await pick(page, 'Preferences: Color Theme', theme, theme);
      await panel.locator(`body.${bodyClass} ol.results .result`).first().waitFor({ timeout: 10_000 });
      await sidebar.locator(`body.${bodyClass} ol.results .result`).first().waitFor({ timeout: 10_000 });
      await workbench.screenshot(shot);
    }
    await pick(page, 'Preferences: Color Theme', 'Dark Modern', 'Dark Modern');
    await panel.locator('body.vscode-dark ol.results .result').first().waitFor({ timeout: 10_000 });
  });

  it('restores the results panel after a window reload', async () => {
    const before = await panel.locator('ol.results .result').first().getAttribute('data-id');
    await page.reload();
    await page
      .locator('.explorer-folders-view .monaco-list-row, .activitybar')
      .first()
      .waitFor({ timeout: 60_000 });
    await panel.locator('ol.results .result').first().waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator('ol.results .result').first().getAttribute('data-id'), before);
    assert.equal(await panel.locator('.query-title').innerText(), 'Claim 1');
    await workbench.screenshot('ui-panel-restored');
  });
});
