// The CarlError a call throws, flattened (code, message and location) so tests can match its fields.
import { isCarlError } from '@carl/core';

export function errorOf(fn: () => unknown): { code: string; message: string; field?: string; file?: string; line?: number } {
  try {
    fn();
  } catch (error) {
    if (isCarlError(error)) return { code: error.code, message: error.message, ...error.location };
    throw error;
  }
  throw new Error('expected an error');
}
