import { beyondEdge, learningRateEdge, LR_LADDER, presetGrid, SETTINGS_PER_METHOD, SWEEP } from './sweep-grid';

describe('the equal-tuning grid', () => {
  it('gives every trained method the same number of settings', () => {
    for (const [method, grid] of Object.entries(SWEEP)) expect([method, grid.length]).toEqual([method, SETTINGS_PER_METHOD]);
  });

  it('has every grid learning rate on the ladder the sweep extends along', () => {
    for (const grid of Object.values(SWEEP)) for (const c of grid) expect(LR_LADDER).toContain(c.learningRate);
  });
});

describe('learningRateEdge', () => {
  it('names the edge a learning rate sits on among those tried, and nothing inside them', () => {
    expect(learningRateEdge(2e-3, [1e-5, 1e-4, 2e-3])).toBe('highest');
    expect(learningRateEdge(1e-5, [1e-5, 1e-4, 2e-3])).toBe('lowest');
    expect(learningRateEdge(1e-4, [1e-5, 1e-4, 2e-3])).toBeUndefined();
    // One rate tried (or the same one twice): no grid to be at the edge of.
    expect(learningRateEdge(1e-3, [1e-3, 1e-3])).toBeUndefined();
    expect(learningRateEdge(undefined, [1e-5, 1e-4])).toBeUndefined();
  });
});

describe('beyondEdge', () => {
  it('steps one rung past the edge, up or down, keeping the setting’s other knobs', () => {
    expect(beyondEdge({ learningRate: 1e-3 }, [2e-4, 5e-4, 1e-3])).toEqual({ learningRate: 2e-3 });
    expect(beyondEdge({ learningRate: 1e-4, temperature: 0.1 }, [1e-4, 5e-4, 2e-3])).toEqual({ learningRate: 5e-5, temperature: 0.1 });
  });

  it('stops inside the grid and at the ends of the ladder', () => {
    expect(beyondEdge({ learningRate: 5e-4 }, [1e-4, 5e-4, 2e-3])).toBeUndefined();
    expect(beyondEdge({ learningRate: LR_LADDER.at(-1) as number }, [1e-3, LR_LADDER.at(-1) as number])).toBeUndefined();
    expect(beyondEdge({ learningRate: LR_LADDER[0] as number }, [LR_LADDER[0] as number, 1e-3])).toBeUndefined();
  });
});

describe('presetGrid (a larger preset re-tunes the learning rate from tiny’s setting)', () => {
  it('tries tiny’s rate and the next lower rung, keeping the other knobs', () => {
    expect(presetGrid({ learningRate: 2e-3 })).toEqual([{ learningRate: 2e-3 }, { learningRate: 1e-3 }]);
    expect(presetGrid({ learningRate: 2e-5, temperature: 0.1 })).toEqual([{ learningRate: 2e-5, temperature: 0.1 }, { learningRate: 1e-5, temperature: 0.1 }]);
  });

  it('tries tiny’s rate alone at the foot of the ladder or off it; the edge rule then walks from there', () => {
    expect(presetGrid({ learningRate: LR_LADDER[0] })).toEqual([{ learningRate: LR_LADDER[0] }]);
    expect(presetGrid({ learningRate: 3e-4 })).toEqual([{ learningRate: 3e-4 }]);
    // The lower rung winning puts it on the lowest edge: the sweep steps further down.
    expect(beyondEdge({ learningRate: 1e-3 }, [2e-3, 1e-3])).toEqual({ learningRate: 5e-4 });
  });
});
