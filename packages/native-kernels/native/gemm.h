#pragma once

#include <cstdint>

namespace carl {

// One row-major single-precision matrix product, C[m×n] = op(A)[m×k] · op(B)[k×n]:
// op(A)(i, p) = transA ? A[p*lda + i] : A[i*lda + p], and likewise for B.
struct GemmArgs {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
};

// `batch` products; product i reads A at a + i*stride_a (stride 0 broadcasts one matrix) and so on.
// Spreads the work over the thread pool (by batch when there are enough, else by blocks of C).
void sgemm_batched(const GemmArgs& args, int64_t batch, int64_t stride_a, int64_t stride_b, int64_t stride_c);

}  // namespace carl
