import * as path from 'node:path';
import { CarlError } from '@carl/core';
import { refitVAHead } from '../../refit';
import { optionalString } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { BACKEND_FLAGS, COMMON, requirePath, startBackend } from '../options';
import { TRAIN_FILE_FLAGS, trainFileRows } from './train';

export const refitHeadCommand: Command = {
  name: 'refit-head',
  summary: 'Fit the valence–arousal head of a run again (e.g. after its ridge fit failed) from its model or newest intact checkpoint, without training the encoder again.',
  usage: 'carl refit-head --out DIR [--ridge-alpha X] [--data-dir DIR | --train-file FILE …]',
  flags: {
    out: { type: 'string', value: 'DIR', doc: 'The run folder (the --out of carl train). Required.' },
    'ridge-alpha': { type: 'string', value: 'X', doc: 'L2 penalty of the ridge head; 0 (default) picks it per axis by 5-fold cross-validation.' },
    'data-dir': { type: 'string', value: 'DIR', doc: 'Folder holding the corpora, if they moved since training (default: the run\'s, else $CARL_DATA_DIR).' },
    ...TRAIN_FILE_FLAGS,
    ...BACKEND_FLAGS,
    help: COMMON.help,
  },
  positionals: false,
  epilog: () => 'A run trained with --train-file needs the same file (and column flags) again.\nExample:\n  carl refit-head --out runs/carl',
  async run(args, io) {
    const runDir = requirePath(args, io, 'out', 'refit-head');
    const alphaText = optionalString(args, 'ridge-alpha');
    const ridgeAlpha = alphaText === undefined ? undefined : Number(alphaText.trim());
    if (ridgeAlpha !== undefined && !(alphaText?.trim() !== '' && Number.isFinite(ridgeAlpha) && ridgeAlpha >= 0 && ridgeAlpha <= 1e9)) {
      throw new CarlError('INVALID_ARGUMENT', `must be a number ≥ 0 and ≤ 1e9, got ${JSON.stringify(alphaText)}`, { field: '--ridge-alpha' });
    }
    const dataDir = optionalString(args, 'data-dir');
    const data = await trainFileRows(args, io);
    await startBackend(args);
    const result = await refitVAHead(runDir, {
      ...(ridgeAlpha === undefined ? {} : { ridgeAlpha }),
      ...(dataDir === undefined ? {} : { dataDir: path.resolve(io.cwd, dataDir) }),
      ...(data === undefined ? {} : { data }),
      onProgress: (event) => {
        if (event.stage === 'encoder') io.stderr.write(`refit-head: encoder from ${event.from}\n`);
        else if (event.stage === 'embed') io.stderr.write(`refit-head: embedding ${event.rows} training rows\n`);
        else if (event.stage === 'fit') io.stderr.write(`refit-head: ridge α ${event.alpha.join(', ')}${event.note === undefined ? '' : ` (${event.note})`}\n`);
      },
    });
    const from = result.encoderFrom === 'model' ? 'its model' : `checkpoint ${path.basename(result.encoderFrom.dir)}`;
    io.stdout.write(`Refitted the VA head of ${path.relative(io.cwd, runDir) || '.'} from ${from} (ridge α ${result.vaHead.alpha.join(', ')}).\nModel: ${result.modelDir}\n`);
    return EXIT_CODES.ok;
  },
};
