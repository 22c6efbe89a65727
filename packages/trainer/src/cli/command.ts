import type { FlagSpec, ParsedArgs } from './args';
import type { CliIO } from './options';

/** One `carl` command: its flags and help, and a body that parses, calls the library and prints. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly positionals: boolean;
  /** Help sections for flags that belong to a group (`carl train`'s hyperparameters), by flag. */
  readonly groupOf?: (flag: string) => string | undefined;
  /** Extra help text after the options. */
  readonly epilog?: (width: number) => string;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
