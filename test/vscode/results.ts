/**
 * How the test run inside the extension host talks to the runner outside. The extension host forwards its
 * console to the page console mixed with the workbench's own logging, so every line meant for the runner
 * carries a prefix: report lines as `<prefix>out <text>`, the final counts as `<prefix>result <json>`.
 */
const prefix = 'patent-passages:test-';

export interface TestCounts {
  passed: number;
  failed: number;
  pending: number;
}

export type TestMessage = { kind: 'out'; text: string } | { kind: 'result'; counts: TestCounts };

export function formatOutputLine(text: string): string {
  return `${prefix}out ${text}`;
}

export function formatResultLine(counts: TestCounts): string {
  return `${prefix}result ${JSON.stringify(counts)}`;
}

/** The message in a page console line, or undefined for the workbench's own logging. */
export function parseTestMessage(line: string): TestMessage | undefined {
  const at = line.indexOf(prefix);
  if (at < 0) return undefined;
  const rest = line.slice(at + prefix.length);
  if (rest.startsWith('out ')) return { kind: 'out', text: rest.slice(4) };
  if (rest.startsWith('result ')) {
    const body = JSON.parse(rest.slice(7)) as Partial<TestCounts>;
    return {
      kind: 'result',
      counts: { passed: body.passed ?? 0, failed: body.failed ?? 0, pending: body.pending ?? 0 },
    };
  }
  return undefined;
}

/** The summary line scripts/test.sh sums across levels: exactly `N passed, N failed`. */
export function summaryLine(counts: TestCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed`;
}
