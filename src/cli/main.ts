import { version } from '../../package.json';
import { CliError, type CliCommand, type CliIo } from './command';
import { benchCommand } from './commands/bench';
import { embedCommand } from './commands/embed';
import { evalCommand } from './commands/eval';
import { indexCommand } from './commands/index';
import { searchCommand } from './commands/search';
import { parseCommand } from './commands/parse';

/** Subcommands, in the order `--help` lists them. */
const commands: CliCommand[] = [
  parseCommand,
  embedCommand,
  indexCommand,
  searchCommand,
  evalCommand,
  benchCommand,
];

function usage(): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  const list = commands.length
    ? commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')
    : '  (none yet)';
  return `patent-passages ${version} — find the description passages nearest to a patent claim, offline.

Usage: patent-passages <command> [options]
       patent-passages <command> --help

Commands:
${list}

Options:
  -h, --help     show this help
  -v, --version  print the version
`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout(`${version}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.stderr(`patent-passages: unknown command '${first}'. Run 'patent-passages --help' for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`patent-passages ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    // An unexpected failure is a bug: say so plainly, keep the stack for those who ask for it.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`patent-passages ${command.name}: internal error: ${message}\n`);
    if (process.env.PATENT_PASSAGES_DEBUG) io.stderr(`${(error as Error).stack ?? ''}\n`);
    return 70;
  }
}

if (require.main === module) {
  // A reader that stops early (`patent-passages parse f --json | head`) closes the pipe: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`patent-passages: ${String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
