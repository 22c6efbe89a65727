/**
 * Probe speed against scikit-learn, in the same run (issue 12, item 6).
 *
 * Task: GoEmotions, original 28-class taxonomy, single-label comments only, official train → test split,
 * no row cap. Features: 128 dimensions per comment, a fixed Gaussian random projection (seed 7) of the
 * comment's TF-IDF vector (word 1–2-grams, sublinear tf, fitted on train): a dense 128-wide matrix that
 * carries real signal, the width of the `tiny` encoder, made without an encoder so the run needs no
 * checkpoint. The features are written once to a temporary file and both sides read the same numbers.
 *
 * Per round (≥ 3, interleaved: TS, then Python, in one process tree):
 * - logistic: `fitLogistic` (8 penalties × 3 stratified folds + warm-started refit) against scikit-learn's
 *   `LogisticRegressionCV` (lbfgs, multinomial, same 8 penalties as C = 1 / (λ·n_train), StratifiedKFold(3)),
 *   features standardised on the training rows for scikit-learn (fitLogistic standardises per fold itself);
 * - ridge: `fitRidge` on one-hot targets (9 penalties × 5 folds, one shared α) against `GridSearchCV(Ridge)`
 *   with the same α grid and 5 folds.
 * Test accuracy of both sides is recorded next to the times.
 *
 * Usage: node dist/probes.bench.js [--rounds 3] [--out results/probes.json] [--python /usr/bin/python3]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, Random } from '@carl/core';
import { loadGoEmotions } from '@carl/datasets';
import { accuracy, fitLogistic, fitRidge, fitTfidf, DEFAULT_RIDGE_ALPHAS } from '@carl/eval-benchmarks';

const L2_GRID = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(__dirname, '..', 'results', 'probes.json') },
      python: { type: 'string', default: '/usr/bin/python3' },
      dim: { type: 'string', default: '128' },
      probes: { type: 'string', default: 'logistic,ridge' },
    },
  });
  const rounds = Number(values.rounds);
  const dim = Number(values.dim);
  const probes = values.probes.split(',');
  // fitLogistic runs its two dense products on the backend's GEMM once a backend other than cpu is up.
  const backend = await initBackend();
  const ge = await loadGoEmotions({ taxonomy: 'original' });
  const single = (rows: readonly { labels?: readonly string[] }[]): boolean[] => rows.map((r) => r.labels?.length === 1);
  const train = ge.splits.train.filter((_, i) => single(ge.splits.train)[i]);
  const test = (ge.splits.test ?? []).filter((_, i) => single(ge.splits.test ?? [])[i]);
  const classes = [...new Set(train.map((r) => r.labels![0] as string))].sort();
  log(`GoEmotions original: ${train.length} train / ${test.length} test single-label comments, ${classes.length} classes`);

  const t0 = performance.now();
  const tfidf = fitTfidf(train.map((r) => r.text));
  const project = randomProjection(tfidf.vocabulary.size, dim, 7);
  const xTrain = project(tfidf.transform(train.map((r) => r.text)));
  const xTest = project(tfidf.transform(test.map((r) => r.text)));
  log(`features: TF-IDF (${tfidf.vocabulary.size} terms) → ${dim}-dim random projection in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const yTrain = train.map((r) => r.labels![0] as string);
  const yTest = test.map((r) => r.labels![0] as string);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-probes-'));
  const write = (name: string, rows: Float64Array[]): void => {
    const flat = new Float64Array(rows.length * dim);
    rows.forEach((r, i) => flat.set(r, i * dim));
    fs.writeFileSync(path.join(dir, name), Buffer.from(flat.buffer));
  };
  write('x_train.f64', xTrain);
  write('x_test.f64', xTest);
  fs.writeFileSync(path.join(dir, 'y.json'), JSON.stringify({ train: yTrain.map((l) => classes.indexOf(l)), test: yTest.map((l) => classes.indexOf(l)), dim, l2: L2_GRID, alphas: DEFAULT_RIDGE_ALPHAS }));
  const script = path.join(__dirname, '..', 'src', 'probes_sklearn.py');

  const results: Record<string, unknown>[] = [];
  const pyVersions = execFileSync(values.python, ['-c', 'import sklearn, numpy, sys; print(sys.version.split()[0], sklearn.__version__, numpy.__version__)'], { encoding: 'utf8' }).trim().split(' ');
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  // Written after every measurement, so an interrupted run keeps the rounds it finished.
  const writeReport = (): Record<string, unknown> => {
    const summary = Object.fromEntries(probes.map((p) => {
      const rows = results.filter((r) => r['probe'] === p);
      return [p, {
        tsSecondsMedian: median(rows.map((r) => (r['ts'] as { seconds: number }).seconds)),
        sklearnSecondsMedian: median(rows.map((r) => (r['sklearn'] as { seconds: number }).seconds)),
        ratioMedian: median(rows.map((r) => r['ratio'] as number)),
        tsCpuSecondsMedian: median(rows.map((r) => (r['ts'] as { cpuSeconds: number }).cpuSeconds)),
        sklearnCpuSecondsMedian: median(rows.map((r) => (r['sklearn'] as { cpuSeconds: number }).cpuSeconds)),
        tsAccuracy: rows.map((r) => (r['ts'] as { accuracy: number }).accuracy),
        sklearnAccuracy: rows.map((r) => (r['sklearn'] as { accuracy: number }).accuracy),
      }];
    }));
    const report = {
      description: 'Cross-validated probes, CARL-TS vs scikit-learn, same data, same penalty grids, interleaved rounds; wall seconds (ratio = TS / scikit-learn) and CPU seconds (all threads) of each fit, on a machine shared with other jobs',
      task: { corpus: 'goemotions (original taxonomy, single-label comments)', split: 'official train → test, no cap', train: train.length, test: test.length, classes: classes.length },
      features: `${dim}-dim Gaussian random projection (seed 7) of TF-IDF word 1–2-grams (sublinear tf, min_df 2, fitted on train)`,
      logistic: { grid: L2_GRID, folds: 3, tolerance: 'both capped at 100 L-BFGS iterations per fit; TS stops early at max |gradient of the mean loss| ≤ 1e-4, scikit-learn (defaults tol 1e-4 on the summed loss, max_iter 100) practically never does', sklearn: 'LogisticRegressionCV(Cs = 1/(λ n_train), cv=StratifiedKFold(3), lbfgs, multinomial) on StandardScaler features' },
      ridge: { grid: DEFAULT_RIDGE_ALPHAS, folds: 5, targets: 'one-hot classes, one shared α', sklearn: 'GridSearchCV(Ridge(), alphas, cv=KFold(5)) on StandardScaler features, neg MSE' },
      date: new Date().toISOString(),
      backend: { name: backend.backend, nativeKernels: backend.nativeKernels?.available ?? false, logisticProducts: 'tensor (float32 GEMM), float64 elsewhere' },
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverageAtEnd: os.loadavg(), node: process.version, python: pyVersions[0], sklearn: pyVersions[1], numpy: pyVersions[2], OPENBLAS_NUM_THREADS: process.env['OPENBLAS_NUM_THREADS'] ?? 'unset' },
      summary,
      rounds: results,
    };
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
    return summary;
  };
  for (let round = 1; round <= rounds; round++) {
    for (const probe of probes) {
      const row: Record<string, unknown> = { round, probe };
      const began = performance.now();
      const cpu0 = process.cpuUsage();
      const cpuSeconds = (): number => {
        const u = process.cpuUsage(cpu0);
        return (u.user + u.system) / 1e6;
      };
      if (probe === 'logistic') {
        const fit = fitLogistic(xTrain, yTrain, { l2: L2_GRID, folds: 3, seed: round, tolerance: 1e-4, maxIterations: 100 });
        row['ts'] = { seconds: (performance.now() - began) / 1000, cpuSeconds: cpuSeconds(), accuracy: accuracy(yTest, fit.predict(xTest)), l2: fit.l2, cvIterations: fit.cvIterations, refitIterations: fit.iterations, converged: fit.converged, loss: fit.loss };
      } else {
        const oneHot = yTrain.map((l) => classes.map((c) => (c === l ? 1 : 0)));
        const fit = fitRidge(xTrain, oneHot, { folds: 5, seed: round, alphaPerTarget: false });
        const predicted = fit.predict(xTest).map((p) => classes[argmax(p)] as string);
        row['ts'] = { seconds: (performance.now() - began) / 1000, cpuSeconds: cpuSeconds(), accuracy: accuracy(yTest, predicted), alpha: fit.alpha[0] };
      }
      const py = JSON.parse(execFileSync(values.python, [script, dir, probe, String(round)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Record<string, unknown>;
      row['sklearn'] = py;
      row['ratio'] = ((row['ts'] as { seconds: number }).seconds / (py['seconds'] as number));
      log(JSON.stringify(row));
      results.push(row);
      writeReport();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const summary = writeReport();
  log(`written ${values.out}: ${JSON.stringify(summary)}`);
}

/** x ↦ xᵀP / √dim with P a seeded dim-column Gaussian matrix, applied to sparse rows. */
function randomProjection(vocab: number, dim: number, seed: number): (x: { rows: number; indptr: Int32Array; indices: Int32Array; values: Float64Array }) => Float64Array[] {
  const rng = new Random(seed);
  const p = new Float64Array(vocab * dim);
  for (let i = 0; i < p.length; i++) p[i] = rng.normal() / Math.sqrt(dim);
  return (x) => Array.from({ length: x.rows }, (_, i) => {
    const out = new Float64Array(dim);
    for (let q = x.indptr[i] as number; q < (x.indptr[i + 1] as number); q++) {
      const base = (x.indices[q] as number) * dim;
      const v = x.values[q] as number;
      for (let j = 0; j < dim; j++) out[j] = (out[j] as number) + v * (p[base + j] as number);
    }
    return out;
  });
}

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

function log(message: string): void {
  process.stderr.write(`[probes ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
