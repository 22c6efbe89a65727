import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the current backend runs matMul's transpose flags at full speed (native TensorFlow, or wasm
 * with @carl/native-kernels' GEMM); set by `initBackend`. When false (stock wasm and cpu), products and
 * gradients transpose explicitly instead.
 */
let fastTransposeFlags = false;

/** @internal Called by `initBackend` once it knows the backend's kernels. */
export function setFastTransposeFlags(fast: boolean): void {
  fastTransposeFlags = fast;
}

/**
 * Matrix product with a gradient that never uses matMul's transpose flags.
 *
 * Why: on wasm `matMul(a, b, true, false)` runs 10–15× slower than `matMul(transpose(a), b)`,
 * and tfjs's built-in MatMul gradient uses exactly those flags, so every dense backward pass
 * was ten times slower than its forward pass. Forward and backward here transpose explicitly.
 * Works for rank 2 and for batched rank ≥ 3 operands with equal batch dimensions.
 *
 * @example
 * ```ts
 * const y = matMul(x, w);          // x [n, k] · w [k, m]
 * const s = matMul(q, k, false, true); // q [b, n, d] · k[b, n, d]ᵀ → [b, n, n]
 * ```
 */
export function matMul<T extends tf.Tensor>(a: T, b: T, transposeA = false, transposeB = false): T {
  if (a.rank !== b.rank || a.rank < 2) {
    throw new Error(`matMul needs operands of equal rank ≥ 2, got ${a.rank} and ${b.rank}`);
  }
  // The stock gradient passes transpose flags too: fine when they are free.
  if (fastTransposeFlags) return tf.matMul(a, b, transposeA, transposeB) as T;
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    // Save the operands themselves, not their transposes: a saved intermediate would outlive
    // forward-only (inference) calls.
    save([x, y]);
    const value = tf.tidy(() => tf.matMul(transposeA ? swapLast(x) : x, transposeB ? swapLast(y) : y));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved as [tf.Tensor, tf.Tensor];
        // With C = op(X)·op(Y): dX = dy·op(Y)ᵀ (transposed back when op(X) = Xᵀ), and likewise for Y.
        const dx = transposeA
          ? tf.matMul(transposeB ? swapLast(sy) : sy, swapLast(dy)) // (dy·op(Y)ᵀ)ᵀ = op(Y)·dyᵀ
          : tf.matMul(dy, transposeB ? sy : swapLast(sy));
        const dyGrad = transposeB
          ? tf.matMul(swapLast(dy), transposeA ? swapLast(sx) : sx) // (op(X)ᵀ·dy)ᵀ = dyᵀ·op(X)
          : tf.matMul(transposeA ? sx : swapLast(sx), dy);
        return [dx, dyGrad];
      },
    };
  });
  return product(a, b) as T;
}

function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = t.rank;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(t, perm);
}

/**
 * A dense layer on the last axis: `x [..., in] · w [in, out] (+ bias [out])`, computed as one
 * 2-D product (wasm's 2-D matMul is about 10× faster than its batched one).
 *
 * @example
 * ```ts
 * const h = dense(hidden, weight, bias); // [batch, seq, 128] → [batch, seq, 512]
 * ```
 */
export function dense(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const inFeatures = x.shape[x.rank - 1] as number;
  const lead = x.shape.slice(0, -1);
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D;
  let y: tf.Tensor = matMul(flat, weight);
  if (bias !== undefined) y = tf.add(y, bias);
  return x.rank === 2 ? y : tf.reshape(y, [...lead, weight.shape[1]]);
}
