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
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

interface CpuLikeBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

/**
 * The shared body of both kernels: reads the inputs, lets the backend allocate the output
 * (`allocate` returns the array to fill and a finisher that turns it into the kernel's result).
 */
function runSegmentSum(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  allocate: (shape: number[], dtype: tf.DataType, size: number) => { values: Float32Array | Int32Array; finish: () => tf.TensorInfo },
): tf.TensorInfo {
  const b = args.backend as { readSync(dataId: tf.DataId): tf.backend_util.BackendValues };
  const { x, segmentIds } = args.inputs as unknown as SegmentInputs;
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs | undefined)?.numSegments ?? 0;
  const { shape, inner } = outputShape({ x, segmentIds }, numSegments);
  const { values, finish } = allocate(shape, x.dtype, numSegments * inner);
  unsortedSegmentSumValues(b.readSync(x.dataId) as Float32Array, b.readSync(segmentIds.dataId) as Int32Array, numSegments, inner, values);
  return finish();
}

/** Kernel config for wasm (writes straight into the wasm heap). */
export const wasmUnsortedSegmentSum: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: (args) =>
    runSegmentSum(args, (shape, dtype) => {
      const b = args.backend as unknown as WasmLikeBackend;
      const out = b.makeOutput(shape, dtype);
      return { values: b.typedArrayFromHeap(out) as Float32Array | Int32Array, finish: () => out };
    }),
};

/** Kernel config for the pure-JS cpu backend (replaces its O(numSegments·N) version). */
export const cpuUnsortedSegmentSum: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: (args) =>
    runSegmentSum(args, (shape, dtype, size) => {
      const values = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
      return { values, finish: () => (args.backend as unknown as CpuLikeBackend).makeTensorInfo(shape, dtype, values) };
    }),
};
