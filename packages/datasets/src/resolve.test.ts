import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATASETS, DATASET_NAMES, fileUrl, type DatasetSpec } from './registry';
import { datasetSpec, defaultCacheDir, resolveDataset, resolveDatasetFiles, resolveSpecFiles, type Fetcher } from './resolve';
import { describeWithData, expectCarlError, tmpTree, withEnv } from '@carl/core/testing';

const sha = (bytes: string | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const A = 'id,text\n1,"hello, world"\n';
const B = 'second file\n';

/** A two-file fake corpus whose checksums come from the bytes above. */
const fake: DatasetSpec = {
  name: 'emobank', // any registered name; only the fields below matter to the resolver
  folder: 'fake-corpus',
  info: { title: 'fake', repository: 'example/fake', commit: 'c0ffee0000000000000000000000000000000000', license: 'test', citation: 'none' },
  fileGroups: {
    default: [
      { path: 'a.csv', upstream: 'corpus/a.csv', sha256: sha(A), bytes: Buffer.byteLength(A) },
      { path: 'sub/b.txt', upstream: 'data/b.txt', sha256: sha(B), bytes: Buffer.byteLength(B) },
    ],
  },
};

/** A fetcher serving `files` (URL → body) in 5-byte chunks, recording the URLs asked for. */
function fakeFetcher(files: Record<string, string>, calls: string[] = []): Fetcher {
  return async (url) => {
    calls.push(url);
    const body = files[url];
    if (body === undefined) return { status: 404, body: (async function* none() {})() };
    const bytes = Buffer.from(body);
    return {
      status: 200,
      size: bytes.length,
      body: (async function* chunks() {
        for (let i = 0; i < bytes.length; i += 5) yield bytes.subarray(i, i + 5);
      })(),
    };
  };
}

const urlA = 'https://raw.githubusercontent.com/example/fake/c0ffee0000000000000000000000000000000000/corpus/a.csv';
const urlB = 'https://raw.githubusercontent.com/example/fake/c0ffee0000000000000000000000000000000000/data/b.txt';

describe('resolution order', () => {
  it('uses an explicit path and nothing else, in local or upstream layout', async () => {
    const local = tmpTree({ 'a.csv': A, 'sub/b.txt': B });
    expect(await resolveSpecFiles(fake, ['default'], { path: local })).toEqual({ root: local, files: { 'a.csv': path.join(local, 'a.csv'), 'sub/b.txt': path.join(local, 'sub/b.txt') } });
    const clone = tmpTree({ 'corpus/a.csv': A, 'data/b.txt': B });
    expect((await resolveSpecFiles(fake, ['default'], { path: clone })).files['sub/b.txt']).toBe(path.join(clone, 'data/b.txt'));
    const partial = tmpTree({ 'a.csv': A });
    const dataDir = tmpTree({ 'fake-corpus/a.csv': A, 'fake-corpus/sub/b.txt': B });
    await expectCarlError(resolveSpecFiles(fake, ['default'], { path: partial, dataDir }), 'DATASET_NOT_FOUND', /missing sub\/b\.txt/);
  });

  it('then $CARL_DATA_DIR/<folder> (or dataDir), then the cache', async () => {
    const dataDir = tmpTree({ 'fake-corpus/a.csv': A, 'fake-corpus/sub/b.txt': B });
    const cacheDir = tmpTree({ 'fake-corpus/a.csv': A, 'fake-corpus/sub/b.txt': B });
    await withEnv({ CARL_DATA_DIR: dataDir }, async () => {
      expect((await resolveSpecFiles(fake, ['default'], { cacheDir })).root).toBe(path.join(dataDir, 'fake-corpus'));
    });
    await withEnv({ CARL_DATA_DIR: undefined }, async () => {
      expect((await resolveSpecFiles(fake, ['default'], { cacheDir })).root).toBe(path.join(cacheDir, 'fake-corpus'));
    });
  });

  it('uses $XDG_CACHE_HOME/carl-ts, else ~/.cache/carl-ts', () => {
    withEnv({ XDG_CACHE_HOME: '/tmp/xdg' }, () => expect(defaultCacheDir()).toBe('/tmp/xdg/carl-ts'));
    withEnv({ XDG_CACHE_HOME: undefined }, () => expect(defaultCacheDir()).toMatch(/\.cache\/carl-ts$/));
  });

  it('offline: lists everything it tried and how to point at a local copy', async () => {
    const dataDir = tmpTree({ 'fake-corpus/a.csv': A });
    const cacheDir = tmpTree({});
    const e = await expectCarlError(resolveSpecFiles(fake, ['default'], { dataDir, cacheDir, download: false }), 'DATASET_NOT_FOUND');
    expect(e.message).toContain(`dataDir ${path.join(dataDir, 'fake-corpus')}: missing sub/b.txt`);
    expect(e.message).toContain(`cache ${path.join(cacheDir, 'fake-corpus')}: missing a.csv, sub/b.txt`);
    expect(e.message).toContain('download: disabled (download: false)');
    // One message for command-line and library users: it names the variable, the flag and the option (issue 15).
    expect(e.message).toMatch(/set CARL_DATA_DIR to a folder containing fake-corpus\/ \(on the carl command line: --data-dir DIR; in code: \{ dataDir: DIR \}, or \{ path: '<folder>' \}.*clone of https:\/\/github\.com\/example\/fake at c0ffee0/s);
    await withEnv({ CARL_OFFLINE: '1', CARL_DATA_DIR: undefined }, () =>
      expectCarlError(resolveSpecFiles(fake, ['default'], { cacheDir }), 'DATASET_NOT_FOUND', /\$CARL_DATA_DIR: not set[\s\S]*CARL_OFFLINE is set/),
    );
  });
});

describe('download', () => {
  it('fetches the missing files into the cache, verified, reporting progress', async () => {
    const cacheDir = tmpTree({ 'fake-corpus/a.csv': A }); // a.csv already cached: only b is fetched
    const calls: string[] = [];
    const progress: number[] = [];
    const resolved = await resolveSpecFiles(fake, ['default'], { dataDir: '/nonexistent', cacheDir, fetcher: fakeFetcher({ [urlA]: A, [urlB]: B }, calls), onProgress: (p) => progress.push(p.received) });
    expect(calls).toEqual([urlB]);
    expect(progress).toEqual([5, 10, 12]);
    expect(fs.readFileSync(resolved.files['sub/b.txt'] as string, 'utf8')).toBe(B);
    expect(fs.readdirSync(path.join(cacheDir, 'fake-corpus', 'sub'))).toEqual(['b.txt']); // no .part left
  });

  it('rejects a download whose SHA-256 differs and writes nothing', async () => {
    const cacheDir = tmpTree({});
    const tampered = A.replace('hello', 'jello');
    const e = await expectCarlError(
      resolveSpecFiles(fake, ['default'], { dataDir: '/nonexistent', cacheDir, fetcher: fakeFetcher({ [urlA]: tampered, [urlB]: B }) }),
      'DOWNLOAD_FAILED',
      /checksum mismatch/,
    );
    expect(e.message).toContain(sha(tampered));
    expect(fs.existsSync(path.join(cacheDir, 'fake-corpus', 'a.csv'))).toBe(false);
    expect(fs.existsSync(path.join(cacheDir, 'fake-corpus'))).toBe(false);
  });

  it('turns network errors and HTTP errors into DOWNLOAD_FAILED listing the URL', async () => {
    const cacheDir = tmpTree({});
    const offline: Fetcher = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND raw.githubusercontent.com'), { code: 'ENOTFOUND' }) });
    };
    const e = await expectCarlError(resolveSpecFiles(fake, ['default'], { dataDir: '/nonexistent', cacheDir, fetcher: offline }), 'DOWNLOAD_FAILED');
    expect(e.message).toContain(`download ${urlA}: fetch failed: ENOTFOUND`);
    expect(e.message).toMatch(/To use a local copy/);
    await expectCarlError(resolveSpecFiles(fake, ['default'], { dataDir: '/nonexistent', cacheDir, fetcher: fakeFetcher({}) }), 'DOWNLOAD_FAILED', /HTTP 404/);
  });

  it('gives up on a stalled download after timeoutMs', async () => {
    const stalled: Fetcher = async (_url, { signal }) => ({
      status: 200,
      body: (async function* never() {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
        yield new Uint8Array();
      })(),
    });
    const started = Date.now();
    await expectCarlError(resolveSpecFiles(fake, ['default'], { dataDir: '/nonexistent', cacheDir: tmpTree({}), fetcher: stalled, timeoutMs: 50 }), 'DOWNLOAD_FAILED', /no data for 50 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('verify: true catches a modified local copy', async () => {
    const local = tmpTree({ 'a.csv': A.replace('1', '2'), 'sub/b.txt': B });
    await expectCarlError(resolveSpecFiles(fake, ['default'], { path: local, verify: true }), 'INVALID_DATA', /SHA-256 mismatch/);
  });
});

describe('registry', () => {
  it('maps every corpus to its folder and builds raw.githubusercontent URLs at the pinned commit', () => {
    expect(DATASET_NAMES).toEqual(['emobank', 'fb-valence-arousal', 'goemotions', 'dair-ai-emotion', 'isear', 'mr', 'cr', 'subj', 'mpqa', 'sst2', 'sst5', 'warriner-vad-norms']);
    for (const name of ['mr', 'cr', 'subj', 'mpqa', 'sst2', 'sst5'] as const) expect(DATASETS[name].folder).toBe('sentiment-transfer');
    const eb = datasetSpec('emobank');
    expect(fileUrl(eb, eb.fileGroups.default?.[0] as never)).toBe('https://raw.githubusercontent.com/JULIELab/EmoBank/248ce2a43e165a66d31aeaed83cff9641d6654e0/corpus/emobank.csv');
    expect(() => datasetSpec('imdb' as 'mr')).toThrow(/unknown dataset "imdb".*loadTable/);
  });

  it('resolveDataset returns the folder', async () => {
    const dataDir = tmpTree({ 'isear/isear.csv': 'x' });
    expect(await resolveDataset('isear', { dataDir })).toBe(path.join(dataDir, 'isear'));
  });
});

describeWithData('recorded checksums and sizes match the real files', (dataDir) => {
  it.each(DATASET_NAMES)('%s', async (name) => {
    const spec = datasetSpec(name);
    const groups = Object.keys(spec.fileGroups);
    const { files } = await resolveDatasetFiles(name, groups, { dataDir, download: false, verify: true });
    for (const file of groups.flatMap((g) => spec.fileGroups[g] ?? [])) expect(fs.statSync(files[file.path] as string).size).toBe(file.bytes);
  });

  it('downloads a real corpus through an injected fetcher serving the real bytes', async () => {
    const spec = datasetSpec('cr');
    const served = Object.fromEntries((spec.fileGroups.default ?? []).map((f) => [fileUrl(spec, f), fs.readFileSync(path.join(dataDir, spec.folder, f.path), 'latin1')]));
    const fetcher: Fetcher = async (url) => ({ status: 200, body: (async function* one() { yield Buffer.from(served[url] as string, 'latin1'); })() });
    const cacheDir = tmpTree({});
    expect(await resolveDataset('cr', { dataDir: '/nonexistent', cacheDir, fetcher })).toBe(path.join(cacheDir, 'sentiment-transfer'));
  });
});
