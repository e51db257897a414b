// The test entry VS Code loads in the extension host (`extensionTestsPath`): runs every suite under
// test/integration/ with mocha against the real `vscode` API. Bundled to out/test/integration/index.js.
import { format } from 'node:util';
import Mocha from 'mocha';
import suites from 'test-suites:./';
import { formatOutputLine, formatResultLine, type TestCounts } from '../vscode/results';

export async function run(): Promise<void> {
  // Only prefixed console lines reach the runner (the page console also carries the workbench's own
  // logging): mark the reporter's lines, and the tests' and the extension's console output, as test output.
  const consoleLog = console.log.bind(console);
  const forward = (...args: unknown[]) => {
    for (const line of format(...args).split('\n')) consoleLog(formatOutputLine(line));
  };
  const patched = ['log', 'info', 'warn', 'error'] as const;
  const originals = patched.map((name) => console[name]);
  for (const name of patched) console[name] = forward;
  Mocha.reporters.Base.consoleLog = forward;
  try {
    let counts: TestCounts;
    try {
      counts = await runSuites();
    } catch (error) {
      // A suite that throws while loading never reaches the reporter: show why before the host exits.
      forward(`The integration tests could not run: ${error instanceof Error ? error.stack : String(error)}`);
      throw error;
    }
    consoleLog(formatResultLine(counts));
    if (counts.failed > 0) throw new Error(`${counts.failed} integration test(s) failed`);
  } finally {
    patched.forEach((name, i) => (console[name] = originals[i]!));
  }
}

async function runSuites(): Promise<TestCounts> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.PATENT_PASSAGES_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const [file, load] of suites) {
    // What mocha's own file loader does around each file, so describe/it exist while the suite loads.
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    mocha.suite.emit('require', load(), file, mocha);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
  const stats = await new Promise<Mocha.Stats | undefined>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
  });
  return { passed: stats?.passes ?? 0, failed: stats?.failures ?? 0, pending: stats?.pending ?? 0 };
}
