import * as fs from 'node:fs';
import * as path from 'node:path';
import { isCarlError } from '@carl/core';
import { suggest } from '../suggest';
import { formatFlags, parseFlags, wrap, type FlagSpec } from './args';
import type { Command } from './command';
import { embedCommand } from './commands/embed';
import { evalCommand } from './commands/eval';
import { explainCommand } from './commands/explain';
import { predictVACommand } from './commands/predict-va';
import { pretrainCommand } from './commands/pretrain';
import { refitHeadCommand } from './commands/refit-head';
import { trainCommand } from './commands/train';
import { EXIT_CODES, EXIT_CODE_HELP, exitCodeFor } from './exit-codes';
import { processIO, type CliIO } from './options';

export { EXIT_CODES, exitCodeFor } from './exit-codes';
export type { CliIO } from './options';

const COMMANDS: readonly Command[] = [pretrainCommand, trainCommand, refitHeadCommand, embedCommand, predictVACommand, evalCommand, explainCommand];

/**
 * The `carl` command line: parses `argv` (without `node` and the script), runs the command and
 * returns its exit code (see {@link EXIT_CODES}); errors are printed as one clear line.
 *
 * @example
 * ```ts
 * const code = await runCli(['predict-va', '--model', 'runs/carl/model', 'What a day!']);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const width = Math.max(60, Math.min(120, io.stdout.columns ?? 100));
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = COMMANDS.find((c) => c.name === topic);
    io.stdout.write(command === undefined ? overview(width) : commandHelp(command, width));
    if (topic !== undefined && command === undefined) return unknownCommand(topic, io);
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_CODES.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return unknownCommand(name, io);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command, width));
    return EXIT_CODES.ok;
  }
  try {
    const args = parseFlags(command.name, rest, command.flags, command.positionals);
    return await command.run(args, io);
  } catch (error) {
    const code = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`carl ${command.name}: ${code === EXIT_CODES.internal && !isCarlError(error) ? `unexpected error: ${message}\n${(error as Error).stack?.split('\n').slice(1, 4).join('\n') ?? ''}` : message}\n`);
    return code;
  }
}

function unknownCommand(name: string, io: CliIO): number {
  const hint = suggest(name, COMMANDS.map((c) => c.name));
  io.stderr.write(`carl: unknown command "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; run carl --help for the list\n`);
  return EXIT_CODES.usage;
}

function overview(width: number): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(12)}${wrap(c.summary, width - 14).join(`\n${' '.repeat(14)}`)}`);
  return ['carl: continuous adversarial representation learning for affect-aware text encoders', '', 'Usage: carl <command> [options]     (carl <command> --help for its options)', '', 'Commands:', ...lines, '', EXIT_CODE_HELP, ''].join('\n');
}

function commandHelp(command: Command, width: number): string {
  const generic: Record<string, FlagSpec> = {};
  const grouped = new Map<string, Record<string, FlagSpec>>();
  for (const [flag, spec] of Object.entries(command.flags)) {
    const group = command.groupOf?.(flag);
    if (group === undefined) generic[flag] = spec;
    else grouped.set(group, { ...grouped.get(group), [flag]: spec });
  }
  const sections = [`Usage: ${command.usage}`, '', wrap(command.summary, width).join('\n'), '', 'Options:', formatFlags(generic, width)];
  for (const [group, specs] of grouped) sections.push('', `Hyperparameters: ${group}`, formatFlags(specs, width));
  if (command.epilog !== undefined) sections.push('', command.epilog(width));
  return `${sections.join('\n')}\n`;
}

function packageVersion(): string {
  // src/cli and dist/cli are both two folders below the package root.
  const file = path.join(__dirname, '..', '..', 'package.json');
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
