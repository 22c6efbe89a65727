// Element-wise, reduction, transpose and gather kernels. The loops are written branch-free so the compiler
// vectorises them; CARL_CLONES builds AVX-512, AVX2 and baseline copies of the hot ones.
#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common.h"
#include "math.inl"

#if CARL_X86
#include <immintrin.h>
#endif

namespace carl {

namespace {

// Chunk bounds of element-wise loops are multiples of 16 floats (one cache line), so no two threads write
// one line and every element lands in the same vector lane/tail position whatever the thread count.
constexpr int64_t kAlign = 16;
// Reductions: contiguous rows are summed in blocks of this many elements; strided ones by this many columns.
constexpr int64_t kReduceBlock = 1 << 14;
constexpr int64_t kReduceColumns = 64;

template <class F>
CARL_INLINE void map1(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(x[i]);
}

// One function per op so each gets its own vectorised clones.
#define CARL_UNARY(name, expr)                                                            \
  CARL_CLONES void name(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n) { \
    map1(x, out, n, [](float v) { return expr; });                                        \
  }
CARL_UNARY(u_exp, exp_approx(v))
CARL_UNARY(u_erf, erf_approx(v))
CARL_UNARY(u_tanh, tanh_approx(v))
CARL_UNARY(u_sigmoid, 1.0f / (1.0f + exp_approx(-v)))
CARL_UNARY(u_sqrt, std::sqrt(v))
CARL_UNARY(u_rsqrt, 1.0f / std::sqrt(v))
CARL_UNARY(u_square, v* v)
CARL_UNARY(u_neg, -v)
CARL_UNARY(u_abs, std::fabs(v))
CARL_UNARY(u_reciprocal, 1.0f / v)
CARL_UNARY(u_relu, v > 0.0f ? v : (v != v ? v : 0.0f))
CARL_UNARY(u_floor, std::floor(v))
#undef CARL_UNARY

struct AddF { CARL_INLINE float operator()(float a, float b) const { return a + b; } };
struct SubF { CARL_INLINE float operator()(float a, float b) const { return a - b; } };
struct MulF { CARL_INLINE float operator()(float a, float b) const { return a * b; } };
struct DivF { CARL_INLINE float operator()(float a, float b) const { return a / b; } };
struct MaxF { CARL_INLINE float operator()(float a, float b) const { return a > b ? a : b; } };
struct MinF { CARL_INLINE float operator()(float a, float b) const { return a < b ? a : b; } };
struct SqDiffF { CARL_INLINE float operator()(float a, float b) const { return (a - b) * (a - b); } };

// The three contiguous inner loops cover almost every call (same shape, scalar, row/column broadcast).
#define CARL_BINARY_LOOPS(F)                                                                              \
  CARL_CLONES void vv_##F(const float* CARL_RESTRICT a, const float* CARL_RESTRICT b, float* CARL_RESTRICT o, \
                          int64_t n) {                                                                    \
    F f;                                                                                                  \
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);                                                 \
  }                                                                                                       \
  CARL_CLONES void vs_##F(const float* CARL_RESTRICT a, float b, float* CARL_RESTRICT o, int64_t n) {     \
    F f;                                                                                                  \
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b);                                                    \
  }                                                                                                       \
  CARL_CLONES void sv_##F(float a, const float* CARL_RESTRICT b, float* CARL_RESTRICT o, int64_t n) {     \
    F f;                                                                                                  \
    for (int64_t i = 0; i < n; ++i) o[i] = f(a, b[i]);                                                    \
  }
CARL_BINARY_LOOPS(AddF)
CARL_BINARY_LOOPS(SubF)
CARL_BINARY_LOOPS(MulF)
CARL_BINARY_LOOPS(DivF)
CARL_BINARY_LOOPS(MaxF)
CARL_BINARY_LOOPS(MinF)
CARL_BINARY_LOOPS(SqDiffF)
#undef CARL_BINARY_LOOPS

struct BinaryLoops {
  void (*vv)(const float*, const float*, float*, int64_t);
  void (*vs)(const float*, float, float*, int64_t);
  void (*sv)(float, const float*, float*, int64_t);
  float (*scalar)(float, float);
};

template <class F>
float scalar_of(float a, float b) { return F()(a, b); }

#define CARL_LOOPS_OF(F) BinaryLoops { vv_##F, vs_##F, sv_##F, scalar_of<F> }
const BinaryLoops kBinaryLoops[] = {CARL_LOOPS_OF(AddF), CARL_LOOPS_OF(SubF), CARL_LOOPS_OF(MulF), CARL_LOOPS_OF(DivF),
                                    CARL_LOOPS_OF(MaxF), CARL_LOOPS_OF(MinF), CARL_LOOPS_OF(SqDiffF)};
#undef CARL_LOOPS_OF

// Strides of a row-major shape.
std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

}  // namespace

void unary(UnaryOp op, const float* x, float* out, int64_t n) {
  using Fn = void (*)(const float*, float*, int64_t);
  static const Fn table[] = {u_exp, u_erf, u_tanh, u_sigmoid, u_sqrt, u_rsqrt, u_square, u_neg, u_abs, u_reciprocal, u_relu, u_floor};
  const Fn fn = table[static_cast<int>(op)];
  const bool costly = op == UnaryOp::Exp || op == UnaryOp::Erf || op == UnaryOp::Tanh || op == UnaryOp::Sigmoid;
  parallel_for(n, costly ? grains().transcend : grains().arith, [&](int64_t b, int64_t e) { fn(x + b, out + b, e - b); }, kAlign);
}

void binary(BinaryOp op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
            const std::vector<int64_t>& b_shape, float* out, const std::vector<int64_t>& out_shape) {
  const BinaryLoops& loops = kBinaryLoops[static_cast<int>(op)];
  const size_t rank = out_shape.size();
  // Right-align the input shapes, then give broadcast axes stride 0.
  std::vector<int64_t> as(rank, 1), bs(rank, 1);
  std::copy(a_shape.begin(), a_shape.end(), as.begin() + (rank - a_shape.size()));
  std::copy(b_shape.begin(), b_shape.end(), bs.begin() + (rank - b_shape.size()));
  std::vector<int64_t> sa = strides_of(as), sb = strides_of(bs);
  std::vector<int64_t> dims, da, db;
  for (size_t d = 0; d < rank; ++d) {
    if (out_shape[d] == 1) continue;
    const int64_t ta = as[d] == 1 ? 0 : sa[d], tb = bs[d] == 1 ? 0 : sb[d];
    // Fold this axis into the previous kept one when both inputs walk them as one run.
    if (!dims.empty() && da.back() == ta * out_shape[d] && db.back() == tb * out_shape[d]) {
      dims.back() *= out_shape[d];
      da.back() = ta;
      db.back() = tb;
      continue;
    }
    dims.push_back(out_shape[d]);
    da.push_back(ta);
    db.push_back(tb);
  }
  if (dims.empty()) {
    out[0] = loops.scalar(a[0], b[0]);
    return;
  }
  const size_t r = dims.size();
  const int64_t inner = dims[r - 1], ia = da[r - 1], ib = db[r - 1];
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < r; ++d) outer *= dims[d];
  auto run_row = [&](const float* pa, const float* pb, float* po, int64_t len) {
    if (ia == 1 && ib == 1) {
      loops.vv(pa, pb, po, len);
    } else if (ia == 1 && ib == 0) {
      loops.vs(pa, *pb, po, len);
    } else if (ia == 0 && ib == 1) {
      loops.sv(*pa, pb, po, len);
    } else {
      for (int64_t i = 0; i < len; ++i) po[i] = loops.scalar(pa[i * ia], pb[i * ib]);
    }
  };
  // Split the flat output, not only its rows: a same-shape op folds to one row of every element.
  parallel_for(outer * inner, grains().arith, [&](int64_t f0, int64_t f1) {
    for (int64_t o = f0 / inner; o * inner < f1; ++o) {
      // Decompose the row index into the outer axes.
      int64_t rem = o, offa = 0, offb = 0;
      for (int64_t d = static_cast<int64_t>(r) - 2; d >= 0; --d) {
        const int64_t idx = rem % dims[d];
        rem /= dims[d];
        offa += idx * da[d];
        offb += idx * db[d];
      }
      const int64_t j0 = std::max(f0 - o * inner, int64_t{0}), j1 = std::min(f1 - o * inner, inner);
      run_row(a + offa + j0 * ia, b + offb + j0 * ib, out + o * inner + j0, j1 - j0);
    }
  }, kAlign);
}

namespace {

// Column sums of n rows of `width` elements, `stride` apart.
CARL_CLONES void reduce_rows_sum(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n, int64_t width, int64_t stride) {
  for (int64_t j = 0; j < width; ++j) out[j] = x[j];
  for (int64_t i = 1; i < n; ++i) {
    const float* row = x + i * stride;
    for (int64_t j = 0; j < width; ++j) out[j] += row[j];
  }
}
CARL_CLONES void reduce_rows_max(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n, int64_t width, int64_t stride) {
  for (int64_t j = 0; j < width; ++j) out[j] = x[j];
  for (int64_t i = 1; i < n; ++i) {
    const float* row = x + i * stride;
    for (int64_t j = 0; j < width; ++j) out[j] = row[j] > out[j] ? row[j] : out[j];
  }
}
CARL_CLONES void reduce_rows_min(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n, int64_t width, int64_t stride) {
  for (int64_t j = 0; j < width; ++j) out[j] = x[j];
  for (int64_t i = 1; i < n; ++i) {
    const float* row = x + i * stride;
    for (int64_t j = 0; j < width; ++j) out[j] = row[j] < out[j] ? row[j] : out[j];
  }
}
// Contiguous reductions keep 16 independent partial results so they vectorise without reassociation flags.
CARL_CLONES float reduce_sum(const float* CARL_RESTRICT x, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += x[i + j];
  float s = 0.f;
  for (int j = 0; j < 16; ++j) s += acc[j];
  for (; i < n; ++i) s += x[i];
  return s;
}
CARL_CLONES float reduce_max(const float* CARL_RESTRICT x, int64_t n) {
  float m = x[0];
  int64_t i = 0;
  if (n >= 16) {
    float acc[16];
    for (int j = 0; j < 16; ++j) acc[j] = x[j];
    for (i = 16; i + 16 <= n; i += 16)
      for (int j = 0; j < 16; ++j) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    for (int j = 0; j < 16; ++j) m = acc[j] > m ? acc[j] : m;
  }
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}
CARL_CLONES float reduce_min(const float* CARL_RESTRICT x, int64_t n) {
  float m = x[0];
  int64_t i = 0;
  if (n >= 16) {
    float acc[16];
    for (int j = 0; j < 16; ++j) acc[j] = x[j];
    for (i = 16; i + 16 <= n; i += 16)
      for (int j = 0; j < 16; ++j) acc[j] = x[i + j] < acc[j] ? x[i + j] : acc[j];
    for (int j = 0; j < 16; ++j) m = acc[j] < m ? acc[j] : m;
  }
  for (; i < n; ++i) m = x[i] < m ? x[i] : m;
  return m;
}

}  // namespace

void reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t n, int64_t inner) {
  if (n == 0) {
    // Empty reductions: the identity of the op (tfjs gives 0 for sum, NaN for mean, ∓inf for max/min).
    const float fill = op == ReduceOp::Sum    ? 0.0f
                       : op == ReduceOp::Mean ? std::numeric_limits<float>::quiet_NaN()
                       : op == ReduceOp::Max  ? -std::numeric_limits<float>::infinity()
                                              : std::numeric_limits<float>::infinity();
    std::fill(out, out + outer * inner, fill);
    return;
  }
  const float scale = op == ReduceOp::Mean ? 1.0f / static_cast<float>(n) : 1.0f;
  auto contiguous = [op](const float* xs, int64_t len) {
    return op == ReduceOp::Max ? reduce_max(xs, len) : op == ReduceOp::Min ? reduce_min(xs, len) : reduce_sum(xs, len);
  };
  if (inner == 1) {
    // Long rows are summed in blocks of a fixed size, then the block results in order: the grouping of the
    // additions depends on n alone, so every thread count gives the same bits.
    const int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
    if (blocks == 1) {
      parallel_for(outer, std::max<int64_t>(1, grains().reduce / n), [&](int64_t o0, int64_t o1) {
        for (int64_t o = o0; o < o1; ++o) out[o] = contiguous(x + o * n, n) * scale;
      });
      return;
    }
    std::vector<float> partial(static_cast<size_t>(outer * blocks));
    parallel_for(outer * blocks, std::max<int64_t>(1, grains().reduce / kReduceBlock), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t o = t / blocks, b0 = (t % blocks) * kReduceBlock;
        partial[t] = contiguous(x + o * n + b0, std::min(kReduceBlock, n - b0));
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      const float* p = partial.data() + o * blocks;
      float acc = p[0];
      for (int64_t i = 1; i < blocks; ++i) {
        if (op == ReduceOp::Max) acc = p[i] > acc ? p[i] : acc;
        else if (op == ReduceOp::Min) acc = p[i] < acc ? p[i] : acc;
        else acc += p[i];
      }
      out[o] = acc * scale;
    }
    return;
  }
  // Columns are independent: tasks are (outer index, block of columns), each summing its rows in order.
  const int64_t width = std::min<int64_t>(inner, kReduceColumns);
  const int64_t chunks = (inner + width - 1) / width;
  parallel_for(outer * chunks, std::max<int64_t>(1, grains().reduce / (n * width)), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / chunks, c0 = (t % chunks) * width, w = std::min(width, inner - c0);
      const float* xs = x + o * n * inner + c0;
      float* os = out + o * inner + c0;
      if (op == ReduceOp::Max) {
        reduce_rows_max(xs, os, n, w, inner);
      } else if (op == ReduceOp::Min) {
        reduce_rows_min(xs, os, n, w, inner);
      } else {
        reduce_rows_sum(xs, os, n, w, inner);
        if (scale != 1.0f)
          for (int64_t j = 0; j < w; ++j) os[j] *= scale;
      }
    }
  });
}

namespace {

// dst[i*ds + j] = src[i + j*ss] for i < rows, j < cols: the source is contiguous along i, the destination
// along j. 8×8 blocks are transposed in registers (AVX2) inside 16×64 tiles that stay in L1.
void transpose_2d_scalar(const uint32_t* src, int64_t ss, uint32_t* dst, int64_t ds, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t j = j0; j < j1; ++j) dst[i * ds + j] = src[i + j * ss];
}

#if CARL_X86
CARL_TARGET("avx2")
void transpose_2d_avx2(const uint32_t* src, int64_t ss, uint32_t* dst, int64_t ds, int64_t rows, int64_t cols) {
  // 16 destination rows per tile: with large power-of-two strides more rows would map to the same L1 sets.
  constexpr int64_t TI = 16, TJ = 64;
  for (int64_t it = 0; it < rows; it += TI) {
    const int64_t ie = std::min(rows, it + TI);
    for (int64_t jt = 0; jt < cols; jt += TJ) {
      const int64_t je = std::min(cols, jt + TJ);
      int64_t i = it;
      for (; i + 8 <= ie; i += 8) {
        int64_t j = jt;
        for (; j + 8 <= je; j += 8) {
          const float* s = reinterpret_cast<const float*>(src + i + j * ss);
          float* d = reinterpret_cast<float*>(dst + i * ds + j);
          const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ss), r2 = _mm256_loadu_ps(s + 2 * ss), r3 = _mm256_loadu_ps(s + 3 * ss);
          const __m256 r4 = _mm256_loadu_ps(s + 4 * ss), r5 = _mm256_loadu_ps(s + 5 * ss), r6 = _mm256_loadu_ps(s + 6 * ss), r7 = _mm256_loadu_ps(s + 7 * ss);
          const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
          const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
          const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
          const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
          _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
          _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
          _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
          _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
          _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
          _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
          _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
          _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        if (j < je) transpose_2d_scalar(src, ss, dst, ds, i, i + 8, j, je);
      }
      if (i < ie) transpose_2d_scalar(src, ss, dst, ds, i, ie, jt, je);
    }
  }
}
#endif

void transpose_2d(const uint32_t* src, int64_t ss, uint32_t* dst, int64_t ds, int64_t rows, int64_t cols) {
#if CARL_X86
  if (active_isa() != Isa::Generic) {
    transpose_2d_avx2(src, ss, dst, ds, rows, cols);
    return;
  }
#endif
  constexpr int64_t kTile = 16;
  for (int64_t i0 = 0; i0 < rows; i0 += kTile)
    for (int64_t j0 = 0; j0 < cols; j0 += kTile)
      transpose_2d_scalar(src, ss, dst, ds, i0, std::min(rows, i0 + kTile), j0, std::min(cols, j0 + kTile));
}

}  // namespace

void transpose_block(const uint32_t* src, int64_t src_stride, uint32_t* dst, int64_t dst_stride, int64_t rows, int64_t cols) {
  transpose_2d(src, src_stride, dst, dst_stride, rows, cols);
}

void transpose(const uint32_t* x, uint32_t* out, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm) {
  const size_t rank = shape.size();
  int64_t total = 1;
  for (int64_t s : shape) total *= s;
  if (total == 0) return;
  // Output axes in order, each with its input stride; size-1 axes dropped and runs of input-adjacent axes merged.
  const std::vector<int64_t> in_strides = strides_of(shape);
  std::vector<int64_t> dims, istr;
  for (size_t j = 0; j < rank; ++j) {
    const int64_t ax = perm[j];
    if (shape[ax] == 1) continue;
    if (!dims.empty() && istr.back() == in_strides[ax] * shape[ax]) {
      dims.back() *= shape[ax];
      istr.back() = in_strides[ax];
      continue;
    }
    dims.push_back(shape[ax]);
    istr.push_back(in_strides[ax]);
  }
  if (dims.size() <= 1) {
    std::memcpy(out, x, static_cast<size_t>(total) * 4);
    return;
  }
  const int64_t r = static_cast<int64_t>(dims.size());
  std::vector<int64_t> ostr(r, 1);
  for (int64_t d = r - 2; d >= 0; --d) ostr[d] = ostr[d + 1] * dims[d + 1];
  // `a`: the output's innermost axis; `b`: the axis that is innermost in the input (stride 1).
  const int64_t a = r - 1;
  int64_t b = -1;
  for (int64_t d = 0; d < r; ++d)
    if (istr[d] == 1) b = d;
  // The remaining axes are walked by an odometer; (a, b) are done in cache-friendly tiles.
  std::vector<int64_t> rest;
  for (int64_t d = 0; d < r; ++d)
    if (d != a && d != b) rest.push_back(d);
  int64_t outer = 1;
  for (int64_t d : rest) outer *= dims[d];
  const int64_t na = dims[a], sa_in = istr[a];
  const int64_t nb = b >= 0 ? dims[b] : 1, sb_out = b >= 0 ? ostr[b] : 0;
  parallel_for(outer, std::max<int64_t>(1, grains().copy / (na * nb)), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t rem = o, ioff = 0, ooff = 0;
      for (int64_t k = static_cast<int64_t>(rest.size()) - 1; k >= 0; --k) {
        const int64_t d = rest[k];
        const int64_t idx = rem % dims[d];
        rem /= dims[d];
        ioff += idx * istr[d];
        ooff += idx * ostr[d];
      }
      const uint32_t* src = x + ioff;
      uint32_t* dst = out + ooff;
      if (b == a) {
        std::memcpy(dst, src, static_cast<size_t>(na) * 4);
        continue;
      }
      if (b < 0) {
        for (int64_t j = 0; j < na; ++j) dst[j] = src[j * sa_in];
        continue;
      }
      transpose_2d(src, sa_in, dst, sb_out, nb, na);
    }
  });
}

bool gather_rows(const uint32_t* x, int64_t rows, int64_t inner, const int32_t* indices, int64_t count, uint32_t* out) {
  for (int64_t i = 0; i < count; ++i)
    if (indices[i] < 0 || indices[i] >= rows) return false;
  parallel_for(count, std::max<int64_t>(1, grains().copy / std::max<int64_t>(1, inner)), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      std::memcpy(out + i * inner, x + static_cast<int64_t>(indices[i]) * inner, static_cast<size_t>(inner) * 4);
  });
  return true;
}

namespace {
CARL_CLONES void add_row(float* CARL_RESTRICT dst, const float* CARL_RESTRICT src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}
}  // namespace

void segment_sum(const float* x, const int32_t* segment_ids, int64_t n, int64_t num_segments, int64_t inner, float* out) {
  // Split by output rows: a task zeroes its rows, then scans every id (cheap: one per input row) and adds the
  // input rows that land in its range, in input order.
  parallel_for(num_segments, std::max<int64_t>(1, grains().copy / std::max<int64_t>(1, inner)), [&](int64_t s0, int64_t s1) {
    std::memset(out + s0 * inner, 0, static_cast<size_t>((s1 - s0) * inner) * sizeof(float));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t s = segment_ids[i];
      if (s >= s0 && s < s1) add_row(out + s * inner, x + i * inner, inner);
    }
  });
}

namespace {
CARL_CLONES void softmax_row(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n) {
  const float m = reduce_max(x, n);
  for (int64_t i = 0; i < n; ++i) out[i] = exp_approx(x[i] - m);
  const float inv = 1.0f / reduce_sum(out, n);
  for (int64_t i = 0; i < n; ++i) out[i] *= inv;
}
}  // namespace

void softmax(const float* x, float* out, int64_t rows, int64_t n) {
  if (n == 0) return;
  parallel_for(rows, std::max<int64_t>(1, grains().rows / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) softmax_row(x + r * n, out + r * n, n);
  });
}

void strided_copy(const uint32_t* src, uint32_t* dst, const std::vector<int64_t>& shape, const std::vector<int64_t>& src_strides,
                  const std::vector<int64_t>& dst_strides) {
  std::vector<int64_t> dims, ss, ds;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    if (!dims.empty() && ss.back() == src_strides[d] * shape[d] && ds.back() == dst_strides[d] * shape[d]) {
      dims.back() *= shape[d];
      ss.back() = src_strides[d];
      ds.back() = dst_strides[d];
      continue;
    }
    dims.push_back(shape[d]);
    ss.push_back(src_strides[d]);
    ds.push_back(dst_strides[d]);
  }
  if (dims.empty()) {
    dst[0] = src[0];
    return;
  }
  const int64_t r = static_cast<int64_t>(dims.size());
  const int64_t inner = dims[r - 1], si = ss[r - 1], di = ds[r - 1];
  int64_t outer = 1;
  for (int64_t d = 0; d + 1 < r; ++d) outer *= dims[d];
  parallel_for(outer, std::max<int64_t>(1, grains().copy / inner), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t rem = o, soff = 0, doff = 0;
      for (int64_t d = r - 2; d >= 0; --d) {
        const int64_t idx = rem % dims[d];
        rem /= dims[d];
        soff += idx * ss[d];
        doff += idx * ds[d];
      }
      const uint32_t* s = src + soff;
      uint32_t* t = dst + doff;
      if (si == 1 && di == 1) {
        std::memcpy(t, s, static_cast<size_t>(inner) * 4);
      } else {
        for (int64_t j = 0; j < inner; ++j) t[j * di] = s[j * si];
      }
    }
  });
}

namespace {

// Chris Wellons' "lowbias32" integer hash (a bijection with low bias), used as a counter-based RNG.
CARL_INLINE uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

CARL_CLONES void dropout_loop(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t begin, int64_t end, uint32_t key,
                              uint32_t threshold, float scale, uint32_t offset) {
  for (int64_t i = begin; i < end; ++i) {
    const uint32_t h = lowbias32(((static_cast<uint32_t>(i) + offset) * 0x9e3779b9U) ^ key);
    out[i] = h >= threshold ? x[i] * scale : 0.0f;
  }
}

}  // namespace

void dropout(const float* x, float* out, int64_t n, uint32_t seed, uint32_t threshold, float scale, uint32_t offset) {
  const uint32_t key = lowbias32(seed ^ 0x85ebca6bU);
  parallel_for(n, grains().transcend, [&](int64_t b, int64_t e) { dropout_loop(x, out, b, e, key, threshold, scale, offset); }, kAlign);
}

}  // namespace carl
