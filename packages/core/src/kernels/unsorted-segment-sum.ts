import * as tf from '@tensorflow/tfjs-core';

/**
 * A linear-time UnsortedSegmentSum: `out[segmentIds[i], …] += x[i, …]`.
 *
 * Why: it is the gradient of `tf.gather` (the embedding lookup). wasm has no such kernel at all,
 * and the cpu backend's version loops over every segment with whole-tensor ops, O(numSegments · N · inner):
 * with an 8,000-token vocabulary one backward pass took about 15 minutes. This one is one pass over x.
 */
export function unsortedSegmentSumValues(
  x: ArrayLike<number>,
  segmentIds: ArrayLike<number>,
  numSegments: number,
  inner: number,
  out: Float32Array | Int32Array,
): void {
  out.fill(0);
  const n = segmentIds.length;
  for (let i = 0; i < n; i++) {
    const segment = segmentIds[i] as number;
    // TensorFlow drops ids outside [0, numSegments): do the same instead of writing out of bounds.
    if (segment < 0 || segment >= numSegments) continue;
    const src = i * inner;
    const dst = segment * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k] as number;
  }
}

interface SegmentInputs {
  x: tf.TensorInfo;
  segmentIds: tf.TensorInfo;
}

function outputShape(inputs: SegmentInputs, numSegments: number): { shape: number[]; inner: number } {
  const segmentRank = inputs.segmentIds.shape.length;
  const innerShape = inputs.x.shape.slice(segmentRank);
  return { shape: [numSegments, ...innerShape], inner: innerShape.reduce((a, b) => a * b, 1) };
}

interface WasmLikeBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

interface CpuLikeBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

function segmentsOf(attrs: tf.NamedAttrMap | undefined): number {
  return (attrs as unknown as tf.UnsortedSegmentSumAttrs | undefined)?.numSegments ?? 0;
}

/** Kernel config for wasm (writes straight into the wasm heap). */
export const wasmUnsortedSegmentSum: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as WasmLikeBackend;
    const { x, segmentIds } = inputs as unknown as SegmentInputs;
    const numSegments = segmentsOf(attrs);
    const { shape, inner } = outputShape({ x, segmentIds }, numSegments);
    const out = b.makeOutput(shape, x.dtype);
    const values = b.typedArrayFromHeap(out) as Float32Array | Int32Array;
    unsortedSegmentSumValues(
      b.readSync(x.dataId) as Float32Array,
      b.readSync(segmentIds.dataId) as Int32Array,
      numSegments,
      inner,
      values,
    );
    return out;
  },
};

/** Kernel config for the pure-JS cpu backend (replaces its O(numSegments·N) version). */
export const cpuUnsortedSegmentSum: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as CpuLikeBackend;
    const { x, segmentIds } = inputs as unknown as SegmentInputs;
    const numSegments = segmentsOf(attrs);
    const { shape, inner } = outputShape({ x, segmentIds }, numSegments);
    const values = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
    unsortedSegmentSumValues(
      b.readSync(x.dataId) as Float32Array,
      b.readSync(segmentIds.dataId) as Int32Array,
      numSegments,
      inner,
      values,
    );
    return b.makeTensorInfo(shape, x.dtype, values);
  },
};
