import { parseArgs } from 'node:util';
import { CarlError } from '@carl/core';
import { suggest } from '../suggest';

/** One flag of a command. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Placeholder for the value in `--help`, e.g. `DIR`. */
  readonly value?: string;
  readonly doc: string;
}

/** Parsed flags and positionals. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * `node:util` parseArgs in strict mode, with Node's errors turned into one `INVALID_ARGUMENT` line
 * naming the flag (and the closest known flag when it looks like a typo).
 */
export function parseFlags(command: string, argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>, allowPositionals: boolean): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.multiple === true ? { multiple: true } : {}), ...(spec.short === undefined ? {} : { short: spec.short }) };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { flags: values as ParsedArgs['flags'], positionals };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
      const hint = suggest(flag.replace(/^-+/, ''), Object.keys(specs));
      throw new CarlError('INVALID_ARGUMENT', `unknown option ${flag} for \`carl ${command}\`${hint === undefined ? '' : ` (did you mean --${hint}?)`}; see carl ${command} --help`, {
        field: flag,
      });
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new CarlError('INVALID_ARGUMENT', `\`carl ${command}\` takes no bare arguments (${message.replace(/^.*?'/, "'")}); see carl ${command} --help`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined && /ambiguous/.test(message)) {
      // parseArgs reads `--valence -0.5` as a missing value followed by an option.
      throw new CarlError('INVALID_ARGUMENT', `${flag} needs a value; for a value that starts with "-" write ${flag}=-0.5`, { field: flag });
    }
    const plain = message.replace(/^\w*Error \[[A-Z_]+\]: /, '').replace(/\s+/g, ' ').trim();
    throw new CarlError('INVALID_ARGUMENT', `${plain}; see carl ${command} --help`, flag === undefined ? {} : { field: flag });
  }
}

/** A required string flag, or `INVALID_ARGUMENT` naming it. */
export function requireString(args: ParsedArgs, name: string, command: string): string {
  const value = args.flags[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CarlError('INVALID_ARGUMENT', `\`carl ${command}\` needs --${name}; see carl ${command} --help`, { field: `--${name}` });
  }
  return value;
}

/** An optional string flag. */
export function optionalString(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** An optional positive integer flag, checked. */
export function optionalInteger(args: ParsedArgs, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = optionalString(args, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*[-+]?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CarlError('INVALID_ARGUMENT', `must be an integer ≥ ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` and ≤ ${max}`}, got ${JSON.stringify(value)}`, { field: `--${name}` });
  }
  return n;
}

/** A comma-separated (or repeated) list flag. */
export function optionalList(args: ParsedArgs, name: string): string[] | undefined {
  const value = args.flags[name];
  if (value === undefined || typeof value === 'boolean') return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return parts;
}

/** Formats flag specs as the options block of `--help`. */
export function formatFlags(specs: Readonly<Record<string, FlagSpec>>, width = 100): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `  ${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return [left, spec.doc] as const;
  });
  const column = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  return rows
    .map(([left, doc]) => {
      const lines = wrap(doc, width - column).map((line) => ' '.repeat(column) + line);
      // A long flag (an enum's values) gets its own line; the text starts below it.
      if (left.length + 1 > column) return [left, ...lines].join('\n');
      return [left.padEnd(column) + (lines[0] as string).trimStart(), ...lines.slice(1)].join('\n');
    })
    .join('\n');
}

/** Word-wraps `text` to lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}
