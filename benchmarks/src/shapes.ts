/** Encoder shapes the speed benchmarks measure, as the PyTorch reference's SHAPE=vocab,hidden,heads,ffn,layers,seq,batch. */
export interface EncoderShape {
  readonly vocab: number;
  readonly hidden: number;
  readonly heads: number;
  readonly ffn: number;
  readonly layers: number;
  readonly seq: number;
  readonly batch: number;
}

export type ShapeName = 'tiny' | 'minilm' | 'bert-base';

export const SHAPES: Readonly<Record<ShapeName, EncoderShape>> = {
  tiny: { vocab: 8000, hidden: 128, heads: 4, ffn: 512, layers: 2, seq: 64, batch: 32 },
  minilm: { vocab: 30522, hidden: 384, heads: 12, ffn: 1536, layers: 6, seq: 64, batch: 32 },
  'bert-base': { vocab: 30522, hidden: 768, heads: 12, ffn: 3072, layers: 12, seq: 64, batch: 32 },
};

/** The reference script's SHAPE value. */
export function shapeEnv(s: EncoderShape): string {
  return [s.vocab, s.hidden, s.heads, s.ffn, s.layers, s.seq, s.batch].join(',');
}

/**
 * Floating-point operations of the encoder's matrix products for one forward pass of a batch (2 per
 * multiply-add): per layer the QKV, output and two FFN projections, and the two attention products.
 * Embedding lookups, LayerNorm, softmax and the loss are left out (they are not GEMMs).
 */
export function forwardFlops(s: EncoderShape): number {
  const tokens = s.batch * s.seq;
  const projections = 2 * tokens * (4 * s.hidden * s.hidden + 2 * s.hidden * s.ffn);
  const attention = 2 * 2 * s.batch * s.seq * s.seq * s.hidden;
  return s.layers * (projections + attention);
}

/** A SimCSE step: two views, each forward plus a backward of twice its products. */
export function simcseStepFlops(s: EncoderShape): number {
  return 2 * 3 * forwardFlops(s);
}
