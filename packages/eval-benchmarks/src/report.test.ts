import { isCarlError, type VA } from '@carl/core';
import { findAll, parseXml, type XmlElement } from './__fixtures__/xml';
import { projectionSvgs, trainingCurvesSvg } from './charts';
import type { EvaluationReport } from './evaluate';
import { aggregateReports, compareModels, formatTable, metricColumns, taskBarChartSvg, taskPanelsSvg, toMarkdown } from './report';
import { seriesStyles } from './svg';
import { pairedTest } from './stats';
import type { TaskResult } from './tasks';

const axis = (pearson: number) => ({ pearson, spearman: pearson - 0.01, rmse: 0.3 - pearson / 10, mae: 0.2 });
const va = (v: number, a: number): TaskResult => ({
  task: 'emobank-va',
  kind: 'va',
  metrics: { valence: axis(v), arousal: axis(a) },
  probe: { alpha: [[10, 100]] },
  protocol: { split: 'official', train: 8062, test: 1000, available: 9062 },
  seconds: 1,
});
const cls = (acc: number, f1: number): TaskResult => ({
  task: 'sst2',
  kind: 'classification',
  metrics: { accuracy: acc, macroF1: f1 },
  labels: ['negative', 'positive'],
  confusion: { labels: ['negative', 'positive'], matrix: [[1, 0], [0, 1]] },
  probe: { l2: [0.01] },
  protocol: { split: 'official', train: 6920, test: 1821, available: 8741 },
  seconds: 1,
});
const au = (align: number, unif: number): TaskResult => ({
  task: 'align-uniform',
  kind: 'align-uniform',
  metrics: { alignment: align, uniformity: unif, positivePairs: 10, threshold: 0.06, zeroVectors: 0 },
  protocol: { split: 'official', train: 0, test: 1000, available: 1000 },
  seconds: 1,
});
const report = (model: string, seed: number, tasks: TaskResult[]): EvaluationReport => ({
  model,
  seed,
  tasks,
  embedding: { dimension: 4, texts: 10, seconds: 0 },
  seconds: 1,
  date: '2026-11-26T00:00:00.000Z',
});

const runs: EvaluationReport[] = [
  report('carl', 1, [va(0.5, 0.3), cls(0.8, 0.79), au(0.4, -2)]),
  report('carl', 2, [va(0.52, 0.34), cls(0.82, 0.8), au(0.42, -2.2)]),
  report('carl', 3, [va(0.54, 0.32), cls(0.81, 0.81), au(0.44, -2.1)]),
  report('simcse', 2, [va(0.45, 0.31), cls(0.79, 0.78), au(0.3, -1.5)]),
  report('simcse', 1, [va(0.44, 0.35), cls(0.8, 0.8), au(0.31, -1.6)]),
  report('simcse', 3, [va(0.46, 0.33), cls(0.78, 0.79), au(0.29, -1.7)]),
];

describe('metricColumns', () => {
  it('lists headline and full metrics per task kind', () => {
    expect(metricColumns(va(0.5, 0.3)).map((c) => c.label)).toEqual(['V r', 'A r']);
    expect(metricColumns(va(0.5, 0.3), 'all')).toHaveLength(8);
    expect(metricColumns(cls(0.8, 0.7)).map((c) => c.metric)).toEqual(['accuracy', 'macroF1']);
    expect(metricColumns(au(0.4, -2)).every((c) => !c.higherIsBetter)).toBe(true);
  });
});

describe('aggregateReports', () => {
  it('groups runs by model and summarises each metric with mean ± sample std', () => {
    const agg = aggregateReports(runs);
    expect(agg.rows.map((r) => [r.model, r.runs])).toEqual([['carl', 3], ['simcse', 3]]);
    const cell = agg.rows[0]?.cells['emobank-va/valence.pearson'];
    expect(cell?.mean).toBeCloseTo(0.52, 12);
    expect(cell?.std).toBeCloseTo(0.02, 12);
    expect(cell?.values).toEqual([0.5, 0.52, 0.54]);
    expect(agg.rows[1]?.cells['sst2/accuracy']?.seeds).toEqual([2, 1, 3]);
  });

  it('marks a task a run did not have as missing rather than zero', () => {
    const agg = aggregateReports([report('a', 1, [va(0.5, 0.3)]), report('b', 1, [cls(0.7, 0.6)])]);
    expect(agg.rows[0]?.cells['sst2/accuracy']?.n).toBe(0);
    expect(formatTable([report('a', 1, [va(0.5, 0.3)]), report('b', 1, [cls(0.7, 0.6)])])).toContain('n/a');
  });
});

describe('formatTable', () => {
  it('prints one aligned line per task metric with mean ± std per model', () => {
    const text = formatTable(runs);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^task\s+metric\s+carl \(3 runs\)\s+simcse \(3 runs\)$/);
    expect(lines).toHaveLength(2 + 6);
    expect(lines[2]).toMatch(/^emobank-va\s+V r\s+0\.520 ± 0\.020\s+0\.450 ± 0\.010$/);
    expect(lines[3]).toMatch(/^\s+A r\s/); // task name not repeated
    expect(lines[6]).toMatch(/^align-uniform\s+align ↓\s+0\.420 ± 0\.020/);
    // numbers are right-aligned, so every line (header and rule included) ends in the same column
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('prints plain numbers for a single run', () => {
    expect(formatTable(runs[0] as EvaluationReport, { digits: 2 })).toMatch(/emobank-va\s+V r\s+0\.50\n/);
  });
});

describe('toMarkdown', () => {
  it('writes a GitHub table with the best model per metric in bold (min for ↓ metrics)', () => {
    const md = toMarkdown(runs);
    const lines = md.trimEnd().split('\n');
    expect(lines[0]).toBe('| task | metric | carl (n=3) | simcse (n=3) |');
    expect(lines[1]).toBe('| --- | --- | ---: | ---: |');
    expect(lines[2]).toBe('| emobank-va | V r | **0.520 ± 0.020** | 0.450 ± 0.010 |');
    expect(lines[3]).toBe('|  | A r | 0.320 ± 0.020 | **0.330 ± 0.020** |');
    expect(lines[6]).toBe('| align-uniform | align ↓ | 0.420 ± 0.020 | **0.300 ± 0.010** |');
    expect(lines[7]).toBe('|  | uniform ↓ | **-2.100 ± 0.100** | -1.600 ± 0.100 |');
  });

  it('escapes pipes in model names', () => {
    expect(toMarkdown(report('a|b', 1, [cls(0.5, 0.5)]))).toContain('a\\|b');
  });
});

describe('compareModels', () => {
  it('pairs runs by seed and tests the differences', () => {
    const rows = compareModels(runs, 'carl', 'simcse');
    const v = rows.find((r) => r.metric === 'valence.pearson');
    // by seed: carl [0.5, 0.52, 0.54] vs simcse [0.44, 0.45, 0.46] (simcse's runs are listed as seeds 2, 1, 3)
    expect(v?.seeds).toEqual([1, 2, 3]);
    expect(v?.meanDifference).toBeCloseTo(0.07, 12);
    expect(v?.p).toBeCloseTo(pairedTest([0.5, 0.52, 0.54], [0.44, 0.45, 0.46]).p, 12);
    expect(v?.better).toBe(true);
    expect(rows.find((r) => r.metric === 'alignment')?.better).toBe(false);
  });

  it('names a missing model', () => {
    let caught: unknown;
    try {
      compareModels(runs, 'carl', 'bert');
    } catch (e) {
      caught = e;
    }
    expect(isCarlError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(caught)).toMatch(/have carl, simcse/);
  });
});

describe('taskBarChartSvg', () => {
  it('draws V, A and class bars per model with error bars, leaving align/uniform out', () => {
    const root = parseXml(taskBarChartSvg(runs));
    expect(findAll(root, 'text', 'category').map((t) => t.text)).toEqual(['emobank-va V', 'emobank-va A', 'sst2']);
    expect(findAll(root, 'rect', 'bar')).toHaveLength(6);
    expect(findAll(root, 'path', 'error-bar')).toHaveLength(6);
    const carlSst2 = findAll(root, 'rect', 'bar').filter((b) => Number(b.attrs['data-value']) === 0.81);
    expect(carlSst2).toHaveLength(1);
  });
});

describe('taskPanelsSvg', () => {
  it('draws one panel per task and metric with the metric named, the mean per model and one shared legend', () => {
    const styles = seriesStyles(['none', 'simcse', 'carl']);
    const root = parseXml(taskPanelsSvg(runs, { styles }));
    const panels = root.children.filter((c) => c.name === 'svg');
    expect(panels.map((p) => findAll(p, 'text', 'title')[0]?.text)).toEqual(['emobank-va · valence', 'emobank-va · arousal', 'sst2', 'align-uniform · alignment', 'align-uniform · uniformity']);
    expect(panels.map((p) => findAll(p, 'text', 'y-label')[0]?.text)).toEqual(['Pearson r, valence', 'Pearson r, arousal', 'accuracy', 'alignment (lower is better)', 'uniformity (lower is better)']);
    // carl's sst2 mean of 0.8, 0.82, 0.81 with the colour given for carl (not its position in the reports)
    const sst2 = findAll(panels[2] as XmlElement, 'g', 'point');
    expect(sst2.map((g) => Number(g.attrs['data-value']))).toEqual([0.81, 0.79]);
    expect(findAll(sst2[0] as XmlElement, 'circle').concat(findAll(sst2[0] as XmlElement, 'polygon'), findAll(sst2[0] as XmlElement, 'rect'))[0]?.attrs['fill']).toBe(styles.get('carl')?.color);
    expect(findAll(root, 'g', 'legend-item').map((g) => g.children[1]?.text)).toEqual(['carl', 'simcse']);
  });
});

describe('projectionSvgs', () => {
  it('fits the colour scale to the labels by default: mean ± 2 sd, so the mean is the neutral grey', () => {
    // valence [-1, 1, 0, 0.5]: mean 0.125, sample sd √(2.1875 / 3) = 0.853913 → domain [-1.5828, 1.8328]
    const labels: VA[] = [-1, 1, 0, 0.5].map((v) => ({ valence: v, arousal: 0.125 }));
    const out = projectionSvgs([[1, 0], [-1, 0], [0, 0.1], [0.5, -0.1]], labels, { title: 'toy' });
    expect(out.valence).toContain('>1.83</text>');
    expect(out.valence).toContain('>-1.58</text>');
    expect(out.valence).toContain('toy · colour: valence');
    // constant arousal: a unit band around it, every point neutral
    expect(findAll(parseXml(out.arousal), 'circle', 'point').every((c) => c.attrs['fill'] === '#dddddd')).toBe(true);
  });

  it('draws the PCA projection twice, coloured by valence and by arousal', () => {
    const labels: VA[] = [
      { valence: -1, arousal: 1 },
      { valence: 1, arousal: -1 },
      { valence: 0, arousal: 0 },
      { valence: 0.5, arousal: 0.5 },
    ];
    const embeddings = [[1, 0, 0], [-1, 0, 0], [0, 0.1, 0], [0.5, -0.1, 0.1]];
    const out = projectionSvgs(embeddings, labels, { title: 'toy', labels: ['a', 'b', 'c', 'd'], colorDomain: [-1, 1] });
    // marks are drawn neutral-first; put them back in input order by their hover text
    const inOrder = (svg: string) => {
      const marks = findAll(parseXml(svg), 'circle', 'point');
      return ['a', 'b', 'c', 'd'].map((l) => marks.find((m) => m.children[0]?.text.startsWith(`${l} —`)) as (typeof marks)[number]);
    };
    const v = inOrder(out.valence);
    const a = inOrder(out.arousal);
    expect(v.map((c) => c.attrs['fill'])).toEqual(['#3b4cc0', '#b40426', '#dddddd', '#c97182']);
    expect(a.map((c) => c.attrs['fill'])).toEqual(['#b40426', '#3b4cc0', '#dddddd', '#c97182']);
    expect(v.map((c) => c.attrs['cx'])).toEqual(a.map((c) => c.attrs['cx']));
    // same projection in both pictures: PC1 separates the first two points
    expect(Math.sign(Number(v[0]?.attrs['cx']) - Number(v[1]?.attrs['cx']))).not.toBe(0);
    expect(out.pca.projected).toHaveLength(4);
    expect(out.valence).toContain('toy · colour: valence');
    expect(out.valence).toMatch(/PC1 \(\d+\.\d %/);
  });

  it('rejects mismatched lengths', () => {
    expect(() => projectionSvgs([[1, 2]], [])).toThrow(/1 embeddings but 0 VA labels/);
  });
});

describe('trainingCurvesSvg', () => {
  it('draws one line per numeric field, with gaps where a record lacks it', () => {
    const records = [
      { step: 0, loss: 2, lr: 0.001 },
      { step: 10, loss: 1.5, lr: 0.001, devR: 0.2 },
      { step: 20, loss: 1.2, lr: 0.0005 },
      { step: 30, loss: 1.1, lr: 0.0005, devR: 0.3, note: 'epoch' },
    ];
    const root = parseXml(trainingCurvesSvg(records, { title: 'run' }));
    expect(findAll(root, 'g', 'legend-item').map((g) => g.children[1]?.text)).toEqual(['loss', 'lr', 'devR']);
    expect(findAll(root, 'polyline', 'line')).toHaveLength(2); // devR has only isolated points
    expect(findAll(root, 'g', 'line-point')).toHaveLength(2);
    expect(findAll(root, 'text', 'x-label')[0]?.text).toBe('step');
    const only = parseXml(trainingCurvesSvg(records, { keys: ['loss'] }));
    expect(findAll(only, 'polyline', 'line')[0]?.attrs['points']?.split(' ')).toHaveLength(4);
  });

  it('needs a numeric x on every record', () => {
    expect(() => trainingCurvesSvg([{ step: 0, loss: 1 }, { loss: 2 }])).toThrow(/record 1 has no numeric "step"/);
  });
});
