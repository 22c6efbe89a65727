/**
 * The `tfidf` row against scikit-learn on one task (issue 12, item 4): `@carl/eval-benchmarks`'
 * TF-IDF (word 1–2-grams, sublinear tf, l2, min_df 2) + cross-validated logistic probe against
 * scikit-learn's `TfidfVectorizer` + `LogisticRegressionCV` with the same settings and penalty grid
 * (C = 1 / (λ·n_train)), on the same official split.
 *
 * Usage: node dist/tfidf-check.js [--task sst2] [--out results/tfidf-sklearn.json] [--python /usr/bin/python3]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { builtinTask, evaluate, tfidfFeaturizer, type BuiltinTaskName } from '@carl/eval-benchmarks';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      task: { type: 'string', default: 'sst2' },
      out: { type: 'string', default: path.join(__dirname, '..', 'results', 'tfidf-sklearn.json') },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  const task = values.task as BuiltinTaskName;
  const spec = builtinTask(task);
  if (spec.split.type !== 'official' || spec.kind !== 'classification') throw new Error(`${task}: pick a classification task with an official split`);
  const featurizer = tfidfFeaturizer();
  const t0 = performance.now();
  const report = await evaluate({ featurizer, tasks: [task], seed: 1, model: 'tfidf' });
  const tsSeconds = (performance.now() - t0) / 1000;
  const result = report.tasks[0];
  if (result?.kind !== 'classification') throw new Error('expected a classification result');
  const rows = await spec.load({});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-tfidf-'));
  const label = (r: { labels?: readonly string[] }): string => r.labels?.[0] ?? '';
  fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ train: rows.train.map((r) => [r.text, label(r)]), test: (rows.test ?? []).map((r) => [r.text, label(r)]), l2: featurizer.logisticL2 }));
  const script = `
import json, sys, time
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
d = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
xtr = vec.fit_transform([t for t, _ in d["train"]]); xte = vec.transform([t for t, _ in d["test"]])
ytr = [l for _, l in d["train"]]; yte = [l for _, l in d["test"]]
n = len(ytr)
m = LogisticRegressionCV(Cs=[1.0 / (lam * n) for lam in d["l2"]], cv=StratifiedKFold(3, shuffle=True, random_state=1), max_iter=1000, multi_class="multinomial").fit(xtr, ytr)
acc = float((m.predict(xte) == np.asarray(yte)).mean())
print(json.dumps({"accuracy": acc, "vocabulary": len(vec.vocabulary_), "l2": 1.0 / (float(m.C_[0]) * n), "seconds": time.perf_counter() - t0}))
`;
  const py = JSON.parse(execFileSync(values.python, ['-c', script, path.join(dir, 'data.json')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Record<string, number>;
  fs.rmSync(dir, { recursive: true, force: true });
  const out = {
    description: `tfidf row vs scikit-learn on ${task}: TF-IDF word 1–2-grams (sublinear tf, l2, min_df 2) + logistic regression, λ by stratified 3-fold CV on train from the same grid (C = 1/(λ n)), official split`,
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
    task,
    carl: { accuracy: result.metrics.accuracy, macroF1: result.metrics.macroF1, l2: result.probe.l2[0], seconds: tsSeconds, protocol: result.protocol },
    sklearn: py,
  };
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`);
  process.stderr.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
