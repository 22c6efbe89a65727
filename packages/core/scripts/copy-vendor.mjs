// tsc does not copy plain .js files: copy the vendored tfjs gradients next to the compiled code.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
cpSync(`${here}../src/vendor`, `${here}../dist/vendor`, { recursive: true });
