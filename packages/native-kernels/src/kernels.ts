import * as tf from '@tensorflow/tfjs-core';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type BinaryOpName, type NativeAddon, type ReduceOpName, type UnaryOpName } from './native';
import { heapOf, offsetOf, sizeOf, type WasmBackendInternals } from './wasm';

/** What a replacement kernel sees; it returns `undefined` for a case it leaves to the stock kernel. */
export interface NativeKernelArgs {
  readonly inputs: tf.NamedTensorInfoMap;
  readonly attrs: tf.NamedAttrMap;
  readonly backend: WasmBackendInternals;
  readonly addon: NativeAddon;
}

export type NativeKernelImpl = (args: NativeKernelArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined;

const isFloat = (t: tf.TensorInfo | undefined): t is tf.TensorInfo => t !== undefined && t.dtype === 'float32';
const isFourBytes = (t: tf.TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

/**
 * BatchMatMul (every `tf.matMul`): one native GEMM per batch entry, reading operands in place with the
 * transpose flags honoured natively (no transposed copies). A batch of 1 on either side broadcasts.
 */
const batchMatMul: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { a, b } = inputs;
  if (!isFloat(a) || !isFloat(b) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const transposeA = attrs['transposeA'] === true;
  const transposeB = attrs['transposeB'] === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = (transposeA ? a.shape[ra - 1] : a.shape[ra - 2]) as number;
  const k = (transposeA ? a.shape[ra - 2] : a.shape[ra - 1]) as number;
  const kb = (transposeB ? b.shape[rb - 1] : b.shape[rb - 2]) as number;
  const n = (transposeB ? b.shape[rb - 2] : b.shape[rb - 1]) as number;
  if (k !== kb) return undefined; // the stock kernel raises tfjs's own message
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const batch = sizeOf(outer);
  // Equal batches, or one side a single matrix; a true cross-broadcast ([2,1] × [1,3]) goes to the stock kernel.
  if (!((batchA === batch && batchB === batch) || (batchA === 1 && batchB === batch) || (batchB === 1 && batchA === batch))) {
    return undefined;
  }
  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (batch * m * n === 0) return out;
  addon.matmul(heapOf(backend), offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out), batch, m, n, k, transposeA, transposeB,
    batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n);
  return out;
};

/** Transpose of any 4-byte tensor (float32, int32): tiles the two axes that move, copies runs that don't. */
const transpose: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { x } = inputs;
  if (x === undefined || !isFourBytes(x)) return undefined;
  const perm = attrs['perm'] as number[];
  const out = backend.makeOutput(perm.map((p) => x.shape[p] as number), x.dtype);
  if (sizeOf(x.shape) === 0) return out;
  addon.transpose(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), x.shape, perm);
  return out;
};

/** The axes of a reduction as one contiguous block [first, last], or undefined when they are not. */
function contiguousAxes(axis: unknown, shape: readonly number[]): { first: number; last: number } | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis as number | number[], shape as number[]))].sort((p, q) => p - q);
  if (axes.length === 0) return undefined;
  const first = axes[0] as number;
  const last = axes[axes.length - 1] as number;
  return last - first + 1 === axes.length ? { first, last } : undefined;
}

function reduction(op: ReduceOpName): NativeKernelImpl {
  const code = REDUCE_OPS.indexOf(op);
  return ({ inputs, attrs, backend, addon }) => {
    const { x } = inputs;
    if (!isFloat(x)) return undefined;
    // tfjs names Max's axes `reductionIndices`; the other reductions call them `axis`.
    const block = contiguousAxes(op === 'Max' ? attrs['reductionIndices'] : attrs['axis'], x.shape);
    if (block === undefined) return undefined;
    const outer = sizeOf(x.shape.slice(0, block.first));
    const n = sizeOf(x.shape.slice(block.first, block.last + 1));
    const inner = sizeOf(x.shape.slice(block.last + 1));
    if ((op === 'Max' || op === 'Min') && n === 0) return undefined;
    const outShape = attrs['keepDims'] === true
      ? x.shape.map((s, i) => (i >= block.first && i <= block.last ? 1 : s))
      : x.shape.filter((_, i) => i < block.first || i > block.last);
    const out = backend.makeOutput(outShape, 'float32');
    if (outer * inner === 0) return out;
    addon.reduce(heapOf(backend), code, offsetOf(backend, x), offsetOf(backend, out), outer, n, inner);
    return out;
  };
}

function unary(op: UnaryOpName): NativeKernelImpl {
  const code = UNARY_OPS.indexOf(op);
  return ({ inputs, backend, addon }) => {
    const { x } = inputs;
    if (!isFloat(x)) return undefined;
    const out = backend.makeOutput(x.shape, 'float32');
    const size = sizeOf(x.shape);
    if (size > 0) addon.unary(heapOf(backend), code, offsetOf(backend, x), offsetOf(backend, out), size);
    return out;
  };
}

function binary(op: BinaryOpName): NativeKernelImpl {
  const code = BINARY_OPS.indexOf(op);
  return ({ inputs, backend, addon }) => {
    const { a, b } = inputs;
    if (!isFloat(a) || !isFloat(b)) return undefined;
    let shape: number[];
    try {
      shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    } catch {
      return undefined;
    }
    const out = backend.makeOutput(shape, 'float32');
    if (sizeOf(shape) === 0) return out;
    addon.binary(heapOf(backend), code, offsetOf(backend, a), a.shape, offsetOf(backend, b), b.shape, offsetOf(backend, out), shape);
    return out;
  };
}

/**
 * Identity without a copy: the output shares the input's buffer (reference-counted), as the cpu backend
 * does. tfjs never writes into a tensor's buffer after creation, so sharing is safe; wasm's own Identity
 * copies the data, and tfjs calls Identity for every gradient that passes straight through.
 */
const identity: NativeKernelImpl = ({ inputs, backend }) => {
  const { x } = inputs;
  if (x === undefined || x.dtype === 'string') return undefined;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** GatherV2 along axis 0 (an embedding lookup): one row copy per index. Other axes use the stock kernel. */
const gather: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { x, indices } = inputs;
  if (x === undefined || indices === undefined || !isFourBytes(x) || indices.dtype !== 'int32' || x.shape.length < 1) return undefined;
  const batchDims = (attrs['batchDims'] as number | undefined) ?? 0;
  const axis = tf.util.parseAxisParam(attrs['axis'] as number, x.shape)[0];
  if (batchDims !== 0 || axis !== 0) return undefined;
  const rows = x.shape[0] as number;
  const inner = sizeOf(x.shape.slice(1));
  const count = sizeOf(indices.shape);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  if (count * inner === 0) return out;
  if (addon.gatherRows(heapOf(backend), offsetOf(backend, x), rows, inner, offsetOf(backend, indices), count, offsetOf(backend, out))) return out;
  // An index out of range: leave the decision (error or clamping) to the stock kernel.
  backend.disposeData(out.dataId);
  return undefined;
};

/**
 * UnsortedSegmentSum of float32 data by int32 ids over the leading axes (the embedding gradient: tfjs's
 * gather gradient), split over the pool by output rows. Other dtypes use the kernel registered before.
 */
const segmentSum: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { x, segmentIds } = inputs;
  if (!isFloat(x) || segmentIds === undefined || segmentIds.dtype !== 'int32') return undefined;
  const idRank = segmentIds.shape.length;
  if (idRank > x.shape.length || !segmentIds.shape.every((d, i) => d === x.shape[i])) return undefined;
  const numSegments = attrs['numSegments'] as number;
  const inner = sizeOf(x.shape.slice(idRank));
  const n = sizeOf(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], 'float32');
  if (numSegments * inner === 0) return out;
  addon.segmentSum(heapOf(backend), offsetOf(backend, x), offsetOf(backend, segmentIds), n, numSegments, inner, offsetOf(backend, out));
  return out;
};

/** Softmax over the last axis (the only one tfjs's Softmax kernel is given). */
const softmax: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { logits } = inputs;
  if (!isFloat(logits) || logits.shape.length === 0) return undefined;
  const rank = logits.shape.length;
  const dim = attrs['dim'] as number;
  if (dim !== -1 && dim !== rank - 1) return undefined;
  const n = logits.shape[rank - 1] as number;
  const out = backend.makeOutput(logits.shape, 'float32');
  const size = sizeOf(logits.shape);
  if (size > 0) addon.softmax(heapOf(backend), offsetOf(backend, logits), offsetOf(backend, out), size / n, n);
  return out;
};

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = (strides[d + 1] as number) * (shape[d + 1] as number);
  return strides;
}

/** Slice of a 4-byte tensor: one strided copy (wasm's Slice reads the whole input back into JS first). */
const slice: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { x } = inputs;
  if (x === undefined || !isFourBytes(x)) return undefined;
  const [begin, size] = tf.slice_util.parseSliceParams(x, attrs['begin'] as number | number[], attrs['size'] as number | number[]);
  const out = backend.makeOutput(size, x.dtype);
  if (sizeOf(size) === 0) return out;
  const strides = stridesOf(x.shape);
  const start = begin.reduce((acc, b, d) => acc + b * (strides[d] as number), 0);
  addon.stridedCopy(heapOf(backend), offsetOf(backend, x) + 4 * start, offsetOf(backend, out), size, strides, stridesOf(size));
  return out;
};

/** Unpack (tf.unstack): one strided copy per output. */
const unpack: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const { value } = inputs;
  if (value === undefined || !isFourBytes(value) || value.shape.length === 0) return undefined;
  const axis = tf.util.parseAxisParam(attrs['axis'] as number, value.shape)[0] as number;
  const count = value.shape[axis] as number;
  const outShape = value.shape.filter((_, d) => d !== axis);
  const strides = stridesOf(value.shape);
  const srcStrides = strides.filter((_, d) => d !== axis);
  const outs: tf.TensorInfo[] = [];
  for (let i = 0; i < count; i++) outs.push(backend.makeOutput(outShape, value.dtype));
  if (sizeOf(outShape) > 0) {
    const heap = heapOf(backend);
    const base = offsetOf(backend, value);
    const dstStrides = stridesOf(outShape);
    outs.forEach((out, i) => addon.stridedCopy(heap, base + 4 * i * (strides[axis] as number), offsetOf(backend, out), outShape, srcStrides, dstStrides));
  }
  return outs;
};

function tensorList(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.values(inputs).filter((t): t is tf.TensorInfo => t !== undefined);
}

/** Copies each input into its column block of `out` viewed as [outer, total] (shared by Concat and Pack). */
function copyBlocks(backend: WasmBackendInternals, addon: NativeAddon, parts: readonly tf.TensorInfo[], out: tf.TensorInfo,
  outer: number, widths: readonly number[]): void {
  const total = widths.reduce((a, b) => a + b, 0);
  const heap = heapOf(backend);
  const base = offsetOf(backend, out);
  let column = 0;
  parts.forEach((part, i) => {
    const width = widths[i] as number;
    if (outer * width > 0) addon.stridedCopy(heap, offsetOf(backend, part), base + 4 * column, [outer, width], [width, 1], [total, 1]);
    column += width;
  });
}

/** Concat along any axis: one strided copy per input. */
const concat: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const parts = tensorList(inputs);
  const first = parts[0];
  if (first === undefined || !isFourBytes(first) || parts.some((t) => t.dtype !== first.dtype)) return undefined;
  const axis = tf.util.parseAxisParam(attrs['axis'] as number, first.shape)[0] as number;
  const shapes = parts.map((t) => t.shape);
  try {
    tf.backend_util.assertParamsConsistent(shapes, axis);
  } catch {
    return undefined;
  }
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const out = backend.makeOutput(outShape, first.dtype);
  const outer = sizeOf(first.shape.slice(0, axis));
  copyBlocks(backend, addon, parts, out, outer, parts.map((t) => sizeOf(t.shape.slice(axis))));
  return out;
};

/** Pack (tf.stack): a concat of the inputs with a new axis. */
const pack: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const parts = tensorList(inputs);
  const first = parts[0];
  if (first === undefined || !isFourBytes(first) || parts.some((t) => t.dtype !== first.dtype || !tf.util.arraysEqual(t.shape, first.shape))) return undefined;
  const rank = first.shape.length + 1;
  const axis = tf.util.parseAxisParam(attrs['axis'] as number, new Array<number>(rank).fill(1))[0] as number;
  const outShape = [...first.shape.slice(0, axis), parts.length, ...first.shape.slice(axis)];
  const out = backend.makeOutput(outShape, first.dtype);
  const outer = sizeOf(first.shape.slice(0, axis));
  const width = sizeOf(first.shape.slice(axis));
  copyBlocks(backend, addon, parts, out, outer, parts.map(() => width));
  return out;
};

/** Cast to the same dtype shares the buffer (tfjs's gradients cast a lot); real conversions use the stock kernel. */
const cast: NativeKernelImpl = ({ inputs, attrs, backend }) => {
  const { x } = inputs;
  if (x === undefined || x.dtype === 'string' || x.dtype !== attrs['dtype']) return undefined;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Every stock tfjs kernel this package can replace on wasm, by tfjs kernel name. */
export const REPLACEMENT_KERNELS = {
  BatchMatMul: batchMatMul,
  Transpose: transpose,
  Sum: reduction('Sum'),
  Mean: reduction('Mean'),
  Max: reduction('Max'),
  Min: reduction('Min'),
  Exp: unary('Exp'),
  Erf: unary('Erf'),
  Tanh: unary('Tanh'),
  Sigmoid: unary('Sigmoid'),
  Sqrt: unary('Sqrt'),
  Rsqrt: unary('Rsqrt'),
  Square: unary('Square'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Reciprocal: unary('Reciprocal'),
  Relu: unary('Relu'),
  Floor: unary('Floor'),
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Multiply'),
  RealDiv: binary('RealDiv'),
  Maximum: binary('Maximum'),
  Minimum: binary('Minimum'),
  SquaredDifference: binary('SquaredDifference'),
  Identity: identity,
  Cast: cast,
  Slice: slice,
  Unpack: unpack,
  Concat: concat,
  Pack: pack,
  GatherV2: gather,
  UnsortedSegmentSum: segmentSum,
  Softmax: softmax,
} as const satisfies Record<string, NativeKernelImpl>;

/** A stock tfjs kernel this package can replace. */
export type ReplacementKernelName = keyof typeof REPLACEMENT_KERNELS;
