#pragma once

#include <cstdint>
#include <vector>

namespace carl {

// Codes shared with src/native.ts (keep in sync).
enum class UnaryOp : int { Exp = 0, Erf, Tanh, Sigmoid, Sqrt, Rsqrt, Square, Neg, Abs, Reciprocal, Relu, Floor, Count };
enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Maximum, Minimum, SquaredDifference, Count };
enum class ReduceOp : int { Sum = 0, Mean, Max, Min, Count };

void unary(UnaryOp op, const float* x, float* out, int64_t n);

// out[outShape] = a op b with NumPy broadcasting; shapes are right-aligned (rank ≤ 8).
void binary(BinaryOp op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
            const std::vector<int64_t>& b_shape, float* out, const std::vector<int64_t>& out_shape);

// x viewed as [outer, n, inner] → out [outer, inner].
void reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t n, int64_t inner);

// out = transpose(x, perm); works for any element of 4 bytes (float32 and int32 alike).
void transpose(const uint32_t* x, uint32_t* out, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm);

// dst[i*dst_stride + j] = src[i + j*src_stride] for i < rows, j < cols (a 2-D block transpose of 4-byte
// elements; the source is contiguous along i, the destination along j). Used by transpose and GEMM packing.
void transpose_block(const uint32_t* src, int64_t src_stride, uint32_t* dst, int64_t dst_stride, int64_t rows, int64_t cols);

// out[i, :] = x[indices[i], :] for rows of `inner` 4-byte elements. Returns false (writing nothing further)
// when an index lies outside [0, rows).
bool gather_rows(const uint32_t* x, int64_t rows, int64_t inner, const int32_t* indices, int64_t count, uint32_t* out);

// out[num_segments, inner] = Σ over i with segment_ids[i] = s of x[i, :] (UnsortedSegmentSum, the gradient of an
// embedding gather); ids outside [0, num_segments) are dropped, as TensorFlow does. Each output row adds its
// contributions in input order, whatever the thread count.
void segment_sum(const float* x, const int32_t* segment_ids, int64_t n, int64_t num_segments, int64_t inner, float* out);

// Copies an N-d block of 4-byte elements: dst[Σ i·dst_strides] = src[Σ i·src_strides] for every index i in
// `shape` (rank ≤ 8). Slices, concatenation and stacking are all this copy with different strides.
void strided_copy(const uint32_t* src, uint32_t* dst, const std::vector<int64_t>& shape, const std::vector<int64_t>& src_strides,
                  const std::vector<int64_t>& dst_strides);

// Inverted dropout with a counter-based mask: element i is kept when hash32(seed, i) ≥ threshold, and kept
// elements are scaled by `scale` (1/(1 − rate)). Applying it to dy with the same seed gives the gradient.
// The hash is mirrored exactly in @carl/core's dropoutMask. `offset` is the counter of x's first element (mod 2^32),
// so a slice of a batch (a micro-batch) draws its part of the whole batch's mask.
void dropout(const float* x, float* out, int64_t n, uint32_t seed, uint32_t threshold, float scale, uint32_t offset = 0);

// Row-wise softmax over the last axis of x viewed as [rows, n].
void softmax(const float* x, float* out, int64_t rows, int64_t n);

}  // namespace carl
