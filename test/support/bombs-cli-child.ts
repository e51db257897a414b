/**
 * `patent-passages index` as its own process, run from source (the embedding worker through the test
 * bootstrap, no build needed), for the Ctrl-C test (test/unit/index/bombs.test.ts): argv as the CLI's.
 */
import { createIndexCommand } from '../../src/cli/commands/index';
import { REPO_ROOT, WORKER_BOOTSTRAP } from '../unit/index/helpers';

const command = createIndexCommand({ workerPath: WORKER_BOOTSTRAP, packageRoot: REPO_ROOT });
command
  .run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  })
  .then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`error: ${String(error)}\n`);
      process.exitCode = 70;
    },
  );
