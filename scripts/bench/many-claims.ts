/**
 * How parsing time grows with the number of claims: USPTO XML documents of N small claims (each "The thing
 * of claim 1", every tenth "of any one of claims 1 to 5"), parsed in this thread. Linear growth is the
 * aim; the dependencies of each claim were once resolved against the whole claim list prepared afresh per
 * claim, which made it quadratic.
 *
 * Run: npx tsx scripts/bench/many-claims.ts [N …]   (default 1000 2500 5000, the most a document may have)
 * PARSER_ROOT=<checkout> reads another checkout's parser (e.g. main, to compare).
 */
import { join, resolve } from 'node:path';

interface PatentXmlModule {
  parsePatentXml(source: string, uri: string, encoding: string | undefined): { claims: unknown[] };
}

function document(claims: number): string {
  const parts = ['<us-patent-grant lang="EN"><claims id="claims">'];
  for (let k = 1; k <= claims; k++) {
    const words = k === 1 ? 'a widget' : k % 10 === 0 ? 'any one of claims 1 to 5' : 'claim 1';
    parts.push(
      `<claim id="CLM-${k}" num="${k}"><claim-text>${k}. The thing of ${words}.</claim-text></claim>`,
    );
  }
  parts.push('</claims><description><p num="0001">A widget.</p></description></us-patent-grant>');
  return parts.join('\n');
}

async function main(): Promise<void> {
  const root = resolve(process.env.PARSER_ROOT ?? join(__dirname, '../..'));
  const { parsePatentXml } = (await import(
    join(root, 'src/core/documents/patent-xml.ts')
  )) as PatentXmlModule;
  const counts = process.argv.slice(2).map(Number);
  console.log(`parser: ${root}`);
  for (const claims of counts.length > 0 ? counts : [1000, 2500, 5000]) {
    const source = document(claims);
    const started = performance.now();
    const parsed = parsePatentXml(source, 'many.xml', 'utf-8');
    const ms = performance.now() - started;
    console.log(
      `${claims} claims (${(source.length / 1e6).toFixed(2)} MB): ${ms.toFixed(0)} ms, ${parsed.claims.length} claims read`,
    );
  }
}

void main();
