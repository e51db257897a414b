/** What every `patent-passages <subcommand>` implements. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface CliCommand {
  name: string;
  /** One line for `--help`. */
  summary: string;
  /** The full usage text printed by `patent-passages <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throw `CliError` for a failure the user can act on. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A failure with a message meant for the user: printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
