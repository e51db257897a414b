/** Provided by scripts/build.mjs: every `*.test.ts` under the folder, as [relative path, load] pairs. */
declare module 'test-suites:*' {
  const suites: ReadonlyArray<readonly [file: string, load: () => unknown]>;
  export default suites;
}
