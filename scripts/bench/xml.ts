/**
 * The tolerant XML parser (src/core/documents/xml.ts) measured: speed over the shared XML documents beside
 * saxes tokenizing the same text with no handlers (the floor of the SAX parser used before), then the time
 * and peak memory of the bombs and damage the limits and recovery are for. Each bomb runs in a fresh child
 * process so its peak RSS is its own (tsx alone takes about 80 MB of it). Run: npx tsx scripts/bench/xml.ts
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { parseXml } from '../../src/core/documents/xml';

const DATA = join(__dirname, '../../../shared/data');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);

/** A bomb or damaged text, built in the child from its name. */
const CASES: Record<string, () => string> = {
  'p-bomb: 19 MB of <p/>': () =>
    `<us-patent-grant><description>${'<p/>'.repeat((19 * 1024 * 1024) / 4)}</description></us-patent-grant>`,
  'deep: 10,000 nested <b>': () => `<us-patent-grant>${'<b>'.repeat(10_000)}`,
  'billion laughs, 100,000 references': () => {
    let entities = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) entities += `<!ENTITY lol${i} "${`&lol${i - 1 || ''};`.repeat(10)}">`;
    return `<!DOCTYPE r [${entities}]><r><p>${'&lol9; '.repeat(100_000)}</p></r>`;
  },
  'damage: 19 MB, 90,000 paragraphs with a bare & and a stray < in each': () => {
    const paragraph = `<p>R&D of a < b ${'words of a paragraph '.repeat(10)}</p>\n`;
    return `<r>${paragraph.repeat(Math.floor((19 * 1024 * 1024) / paragraph.length))}</r>`;
  },
};

function runCase(name: string): void {
  const text = CASES[name]!();
  const started = performance.now();
  let outcome: string;
  try {
    const root = parseXml(text, 'bomb.xml');
    outcome = root.repairs ? `recovered, ${root.repairs.count.toLocaleString('en-US')} repairs` : 'parsed';
  } catch (error) {
    outcome = (error as Error).message;
  }
  const ms = performance.now() - started;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${name}: ${ms.toFixed(0)} ms, peak RSS ${peak.toFixed(0)} MB (text ${(text.length / 1e6).toFixed(1)} M chars) — ${outcome}`,
  );
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function cpuSeconds(texts: string[], pass: (text: string) => void): number {
  for (const text of texts) pass(text);
  const runs: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const before = process.cpuUsage();
    for (const text of texts) pass(text);
    const used = process.cpuUsage(before);
    runs.push((used.user + used.system) / 1e6);
  }
  return median(runs);
}

function speed(): void {
  const files: string[] = [];
  for (const folder of ['uspto', 'ep', 'uspto-2001']) {
    for (const name of readdirSync(join(DATA, folder))) {
      if (name.endsWith('.xml')) files.push(readFileSync(join(DATA, folder, name), 'utf8'));
    }
  }
  const mb = files.reduce((sum, text) => sum + text.length, 0) / 1e6;
  const tree = cpuSeconds(files, (text) => parseXml(text, 'x.xml'));
  const saxes = cpuSeconds(files, (text) => {
    const parser = new SaxesParser({ position: true });
    parser.on('error', () => undefined); // entities a DTD would declare (&lsquo;): go on, as parseXml did
    parser.write(text).close();
  });
  console.log(`${files.length} shared XML files, ${mb.toFixed(2)} M chars; median CPU of ${REPEAT} passes:`);
  console.log(`  parseXml (tree, recovery):      ${(mb / tree).toFixed(1)} MB/s`);
  console.log(`  saxes, no handlers (baseline):  ${(mb / saxes).toFixed(1)} MB/s`);
}

const only = process.argv[2];
if (only) runCase(only);
else {
  speed();
  for (const name of Object.keys(CASES)) {
    execFileSync(process.execPath, [...process.execArgv, __filename, name], { stdio: 'inherit' });
  }
}
