// Single-precision GEMM in the GotoBLAS/BLIS style: B is packed into k×NR column panels, A into MR×k row
// panels, and a register-blocked micro-kernel computes one MR×NR tile of C at a time. One micro-kernel per
// instruction set (AVX-512: 8×32, AVX2+FMA: 6×16, portable C++: 4×16), picked at run time.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "common.h"
#include "elementwise.h"

#if CARL_X86
#include <immintrin.h>
#endif

namespace carl {

namespace {

constexpr int64_t kKc = 256;  // depth of one packed slice: a k×NR panel of B stays in L1
constexpr int64_t kMc = 128;  // rows of A packed at once: an MC×KC block of A stays in L2

// A grow-only, 64-byte aligned float buffer (one per thread and role).
struct Buffer {
  float* data = nullptr;
  size_t size = 0;
  float* get(size_t n) {
    if (n > size) {
      std::free(data);
      size = (n + 4095) & ~size_t(4095);
      data = static_cast<float*>(std::aligned_alloc(64, size * sizeof(float)));
    }
    return data;
  }
  ~Buffer() { std::free(data); }
};

thread_local Buffer t_apack;
thread_local Buffer t_bpack;

// ---- micro-kernels: C[MR×NR] (=|+=) Ap[kc×MR]ᵀ · Bp[kc×NR] --------------------------------------------

struct GenericKernel {
  static constexpr int64_t MR = 4, NR = 16;
#if defined(__GNUC__)
  // GCC/Clang vector extensions: SSE on x86-64 without AVX, NEON on arm64.
  typedef float v4 __attribute__((vector_size(16), aligned(4)));
  static void run(int64_t kc, const float* CARL_RESTRICT a, const float* CARL_RESTRICT b, float* CARL_RESTRICT c,
                  int64_t ldc, bool accumulate) {
    v4 acc[MR][4] = {};
    for (int64_t p = 0; p < kc; ++p) {
      const v4 b0 = *reinterpret_cast<const v4*>(b), b1 = *reinterpret_cast<const v4*>(b + 4);
      const v4 b2 = *reinterpret_cast<const v4*>(b + 8), b3 = *reinterpret_cast<const v4*>(b + 12);
      for (int64_t r = 0; r < MR; ++r) {
        const float av = a[r];
        acc[r][0] += av * b0;
        acc[r][1] += av * b1;
        acc[r][2] += av * b2;
        acc[r][3] += av * b3;
      }
      a += MR;
      b += NR;
    }
    for (int64_t r = 0; r < MR; ++r) {
      v4* row = reinterpret_cast<v4*>(c + r * ldc);
      for (int64_t q = 0; q < 4; ++q) row[q] = accumulate ? row[q] + acc[r][q] : acc[r][q];
    }
  }
#else
  static void run(int64_t kc, const float* CARL_RESTRICT a, const float* CARL_RESTRICT b, float* CARL_RESTRICT c,
                  int64_t ldc, bool accumulate) {
    float acc[MR][NR] = {};
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t r = 0; r < MR; ++r)
        for (int64_t j = 0; j < NR; ++j) acc[r][j] += a[p * MR + r] * b[p * NR + j];
    for (int64_t r = 0; r < MR; ++r)
      for (int64_t j = 0; j < NR; ++j) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
  }
#endif
};

#if CARL_X86
struct Avx2Kernel {
  static constexpr int64_t MR = 6, NR = 16;
  static constexpr bool kDirectA = true;

  // C[MR×NR] (=|+=) A·Bp with A's element (r, p) at a[r*rs + p*cs]: packed A is rs = 1, cs = MR; A read in
  // place (as Avx512Kernel::run_direct) is its own strides. One body, so both orders of FMAs are the same and
  // packing or not gives the same bits.
  CARL_TARGET("avx2,fma")
  static inline __attribute__((always_inline)) void tile(int64_t kc, const float* CARL_RESTRICT a, int64_t rs, int64_t cs,
                                                         const float* CARL_RESTRICT b, float* CARL_RESTRICT c, int64_t ldc, bool accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    // The C tile is read (accumulate) or written only after the k loop: start fetching its lines now, so the
    // misses overlap the FMAs (C rows are far apart and the hardware prefetchers do not follow them).
    for (int64_t r = 0; r < MR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + NR - 1), _MM_HINT_T0);
    }
    const float *a0 = a, *a1 = a + rs, *a2 = a + 2 * rs, *a3 = a + 3 * rs, *a4 = a + 4 * rs, *a5 = a + 5 * rs;
    // Not unrolled: the loop is bound by the two FMA pipes already, an intrinsic ×4 unroll made GCC rotate the
    // accumulators through extra moves (-10%) and an inline-assembly ×4 unroll gained ~1% (noise level).
    for (int64_t p = 0; p < kc; ++p) {
      const int64_t o = p * cs;
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
      __m256 av;
      av = _mm256_broadcast_ss(a0 + o); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
      av = _mm256_broadcast_ss(a1 + o); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
      av = _mm256_broadcast_ss(a2 + o); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
      av = _mm256_broadcast_ss(a3 + o); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
      av = _mm256_broadcast_ss(a4 + o); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
      av = _mm256_broadcast_ss(a5 + o); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
      b += NR;
    }
#define CARL_STORE_ROW(r, x0, x1)                                                        \
  do {                                                                                   \
    float* row = c + (r) * ldc;                                                          \
    if (accumulate) {                                                                    \
      x0 = _mm256_add_ps(x0, _mm256_loadu_ps(row));                                      \
      x1 = _mm256_add_ps(x1, _mm256_loadu_ps(row + 8));                                  \
    }                                                                                    \
    _mm256_storeu_ps(row, x0);                                                           \
    _mm256_storeu_ps(row + 8, x1);                                                       \
  } while (0)
    CARL_STORE_ROW(0, c00, c01);
    CARL_STORE_ROW(1, c10, c11);
    CARL_STORE_ROW(2, c20, c21);
    CARL_STORE_ROW(3, c30, c31);
    CARL_STORE_ROW(4, c40, c41);
    CARL_STORE_ROW(5, c50, c51);
  }

  // Packed A: MR-row panels, kc × MR.
  CARL_TARGET("avx2,fma")
  static void run(int64_t kc, const float* CARL_RESTRICT a, const float* CARL_RESTRICT b, float* CARL_RESTRICT c,
                  int64_t ldc, bool accumulate) {
    tile(kc, a, 1, MR, b, c, ldc, accumulate);
  }

  // A read in place: element (r, p) at a[r*rs + p*cs].
  CARL_TARGET("avx2,fma")
  static void run_direct(int64_t kc, const float* CARL_RESTRICT a, int64_t rs, int64_t cs, const float* CARL_RESTRICT b,
                         float* CARL_RESTRICT c, int64_t ldc, bool accumulate) {
    tile(kc, a, rs, cs, b, c, ldc, accumulate);
  }
#undef CARL_STORE_ROW
};

struct Avx512Kernel {
  static constexpr int64_t MR = 8, NR = 32;
  CARL_TARGET("avx512f,avx512dq,avx512bw,avx512vl,fma")
  static void run(int64_t kc, const float* CARL_RESTRICT a, const float* CARL_RESTRICT b, float* CARL_RESTRICT c,
                  int64_t ldc, bool accumulate) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
      __m512 av;
      av = _mm512_set1_ps(a[0]); c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01);
      av = _mm512_set1_ps(a[1]); c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11);
      av = _mm512_set1_ps(a[2]); c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21);
      av = _mm512_set1_ps(a[3]); c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31);
      av = _mm512_set1_ps(a[4]); c40 = _mm512_fmadd_ps(av, b0, c40); c41 = _mm512_fmadd_ps(av, b1, c41);
      av = _mm512_set1_ps(a[5]); c50 = _mm512_fmadd_ps(av, b0, c50); c51 = _mm512_fmadd_ps(av, b1, c51);
      av = _mm512_set1_ps(a[6]); c60 = _mm512_fmadd_ps(av, b0, c60); c61 = _mm512_fmadd_ps(av, b1, c61);
      av = _mm512_set1_ps(a[7]); c70 = _mm512_fmadd_ps(av, b0, c70); c71 = _mm512_fmadd_ps(av, b1, c71);
      a += MR;
      b += NR;
    }
#define CARL_STORE_ROW(r, x0, x1)                                                        \
  do {                                                                                   \
    float* row = c + (r) * ldc;                                                          \
    if (accumulate) {                                                                    \
      x0 = _mm512_add_ps(x0, _mm512_loadu_ps(row));                                      \
      x1 = _mm512_add_ps(x1, _mm512_loadu_ps(row + 16));                                 \
    }                                                                                    \
    _mm512_storeu_ps(row, x0);                                                           \
    _mm512_storeu_ps(row + 16, x1);                                                      \
  } while (0)
    CARL_STORE_ROW(0, c00, c01);
    CARL_STORE_ROW(1, c10, c11);
    CARL_STORE_ROW(2, c20, c21);
    CARL_STORE_ROW(3, c30, c31);
    CARL_STORE_ROW(4, c40, c41);
    CARL_STORE_ROW(5, c50, c51);
    CARL_STORE_ROW(6, c60, c61);
    CARL_STORE_ROW(7, c70, c71);
  }

  // The same tile reading A in place: element (r, p) at a[r*rs + p*cs]. Skips packing A, which for the
  // small and medium products of a transformer costs as much as it saves.
  static constexpr bool kDirectA = true;
  CARL_TARGET("avx512f,avx512dq,avx512bw,avx512vl,fma")
  static void run_direct(int64_t kc, const float* CARL_RESTRICT a, int64_t rs, int64_t cs, const float* CARL_RESTRICT b,
                         float* CARL_RESTRICT c, int64_t ldc, bool accumulate) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    const float *a0 = a, *a1 = a + rs, *a2 = a + 2 * rs, *a3 = a + 3 * rs, *a4 = a + 4 * rs, *a5 = a + 5 * rs, *a6 = a + 6 * rs,
                *a7 = a + 7 * rs;
    for (int64_t p = 0; p < kc; ++p) {
      const int64_t o = p * cs;
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
      __m512 av;
      av = _mm512_set1_ps(a0[o]); c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01);
      av = _mm512_set1_ps(a1[o]); c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11);
      av = _mm512_set1_ps(a2[o]); c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21);
      av = _mm512_set1_ps(a3[o]); c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31);
      av = _mm512_set1_ps(a4[o]); c40 = _mm512_fmadd_ps(av, b0, c40); c41 = _mm512_fmadd_ps(av, b1, c41);
      av = _mm512_set1_ps(a5[o]); c50 = _mm512_fmadd_ps(av, b0, c50); c51 = _mm512_fmadd_ps(av, b1, c51);
      av = _mm512_set1_ps(a6[o]); c60 = _mm512_fmadd_ps(av, b0, c60); c61 = _mm512_fmadd_ps(av, b1, c61);
      av = _mm512_set1_ps(a7[o]); c70 = _mm512_fmadd_ps(av, b0, c70); c71 = _mm512_fmadd_ps(av, b1, c71);
      b += NR;
    }
    CARL_STORE_ROW(0, c00, c01);
    CARL_STORE_ROW(1, c10, c11);
    CARL_STORE_ROW(2, c20, c21);
    CARL_STORE_ROW(3, c30, c31);
    CARL_STORE_ROW(4, c40, c41);
    CARL_STORE_ROW(5, c50, c51);
    CARL_STORE_ROW(6, c60, c61);
    CARL_STORE_ROW(7, c70, c71);
  }
#undef CARL_STORE_ROW
};
#endif

// ---- packing ----------------------------------------------------------------------------------------

// Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A) into MR-row panels (zero-padded past m).
template <int64_t MR>
void pack_a(const GemmArgs& g, const float* a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* CARL_RESTRICT out) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = std::min(MR, mc - ir);
    float* panel = out + ir * kc;
    if (g.trans_a) {
      // op(A)(i, p) = A[p*lda + i]: each depth step is a contiguous run of rows.
      if (rows == MR) {
        // A fixed-size copy (a loop over `rows` becomes a memmove call per depth step).
        for (int64_t p = 0; p < kc; ++p) std::memcpy(panel + p * MR, a + (p0 + p) * g.lda + i0 + ir, MR * sizeof(float));
        continue;
      }
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a + (p0 + p) * g.lda + i0 + ir;
        float* dst = panel + p * MR;
        for (int64_t r = 0; r < rows; ++r) dst[r] = src[r];
        for (int64_t r = rows; r < MR; ++r) dst[r] = 0.f;
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a + (i0 + ir + r) * g.lda + p0;
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + r] = src[p];
      }
      for (int64_t r = rows; r < MR; ++r)
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + r] = 0.f;
    }
  }
}

// Packs NR-column panels [jp0, jp1) (panel index) × depth [p0, p0+kc) of op(B) (zero-padded past n).
template <int64_t NR>
void pack_b(const GemmArgs& g, const float* b, int64_t jp0, int64_t jp1, int64_t p0, int64_t kc, float* CARL_RESTRICT out) {
  for (int64_t jp = jp0; jp < jp1; ++jp) {
    const int64_t j0 = jp * NR;
    const int64_t cols = std::min(NR, g.n - j0);
    float* panel = out + jp * NR * kc;
    if (!g.trans_b) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * g.ldb + j0;
        float* dst = panel + p * NR;
        if (cols == NR) {
          std::memcpy(dst, src, NR * sizeof(float));
        } else {
          for (int64_t j = 0; j < cols; ++j) dst[j] = src[j];
          for (int64_t j = cols; j < NR; ++j) dst[j] = 0.f;
        }
      }
    } else {
      // op(B)(p, j) = B[j*ldb + p]: a block transpose (in registers) of cols × kc into kc × NR.
      transpose_block(reinterpret_cast<const uint32_t*>(b + j0 * g.ldb + p0), g.ldb, reinterpret_cast<uint32_t*>(panel), NR, kc, cols);
      for (int64_t j = cols; j < NR; ++j)
        for (int64_t p = 0; p < kc; ++p) panel[p * NR + j] = 0.f;
    }
  }
}

// C rows [i0, i0+mc), panels [jp0, jp1) of one depth slice, from packed A (this block) and packed B.
template <class K>
void macro_kernel(const GemmArgs& g, float* c, const float* apack, const float* bpack, int64_t i0, int64_t mc,
                  int64_t jp0, int64_t jp1, int64_t kc, bool accumulate) {
  alignas(64) float tile[K::MR * K::NR];
  for (int64_t jp = jp0; jp < jp1; ++jp) {
    const int64_t j0 = jp * K::NR;
    const int64_t cols = std::min(K::NR, g.n - j0);
    const float* bp = bpack + jp * K::NR * kc;
    for (int64_t ir = 0; ir < mc; ir += K::MR) {
      const int64_t rows = std::min(K::MR, mc - ir);
      float* ct = c + (i0 + ir) * g.ldc + j0;
      const float* ap = apack + ir * kc;
      if (rows == K::MR && cols == K::NR) {
        K::run(kc, ap, bp, ct, g.ldc, accumulate);
      } else {
        K::run(kc, ap, bp, tile, K::NR, false);
        for (int64_t r = 0; r < rows; ++r) {
          float* row = ct + r * g.ldc;
          const float* t = tile + r * K::NR;
          if (accumulate) {
            for (int64_t j = 0; j < cols; ++j) row[j] += t[j];
          } else {
            for (int64_t j = 0; j < cols; ++j) row[j] = t[j];
          }
        }
      }
    }
  }
}

// Kernels without a direct-A variant pack A; the detection keeps the drivers generic.
template <class K, class = void>
struct HasDirectA : std::false_type {};
template <class K>
struct HasDirectA<K, std::void_t<decltype(K::kDirectA)>> : std::bool_constant<K::kDirectA> {};

// Whether to read A in place for a depth slice of kc (same FMAs either way, so the same bits). AVX-512 always
// does. AVX2 (measured on Zen 2) does when it pays: A not transposed, unless its MR rows, lda apart, fall into the
// same few L1 sets (lda a multiple of ~4 KiB) and evict each other next to the 16 KiB B micro-panel; a transposed
// A only when the lines it touches (one per depth step, lda apart) fit in L1, as in the attention products.
template <class K>
bool use_direct_a(const GemmArgs& g, int64_t kc) {
#if CARL_X86
  if constexpr (std::is_same<K, Avx2Kernel>::value) {
    if (g.trans_a) return g.lda * kc <= 16384;
    int per_set[64] = {};
    int most = 0;
    for (int64_t r = 0; r < K::MR; ++r) most = std::max(most, ++per_set[((r * g.lda) >> 4) & 63]);
    return most <= 3;
  }
#endif
  return true;
}

// As macro_kernel, but full MR-row panels read A in place (only a ragged last panel is packed, into `tail`).
template <class K>
void macro_kernel_direct(const GemmArgs& g, const float* a, float* c, float* tail, const float* bpack, int64_t i0, int64_t mc,
                         int64_t jp0, int64_t jp1, int64_t p0, int64_t kc, bool accumulate) {
  if constexpr (HasDirectA<K>::value) {
    alignas(64) float tile[K::MR * K::NR];
    const int64_t rs = g.trans_a ? 1 : g.lda, cs = g.trans_a ? g.lda : 1;
    const int64_t full = (mc / K::MR) * K::MR;
    if (full < mc) pack_a<K::MR>(g, a, i0 + full, mc - full, p0, kc, tail);
    for (int64_t jp = jp0; jp < jp1; ++jp) {
      const int64_t j0 = jp * K::NR;
      const int64_t cols = std::min(K::NR, g.n - j0);
      const float* bp = bpack + jp * K::NR * kc;
      for (int64_t ir = 0; ir < mc; ir += K::MR) {
        const int64_t rows = std::min(K::MR, mc - ir);
        float* ct = c + (i0 + ir) * g.ldc + j0;
        const float* ap = a + (i0 + ir) * rs + p0 * cs;
        if (rows == K::MR && cols == K::NR) {
          K::run_direct(kc, ap, rs, cs, bp, ct, g.ldc, accumulate);
          continue;
        }
        if (rows == K::MR) {
          K::run_direct(kc, ap, rs, cs, bp, tile, K::NR, false);
        } else {
          K::run(kc, tail, bp, tile, K::NR, false);
        }
        for (int64_t r = 0; r < rows; ++r) {
          float* row = ct + r * g.ldc;
          const float* t = tile + r * K::NR;
          if (accumulate) {
            for (int64_t j = 0; j < cols; ++j) row[j] += t[j];
          } else {
            for (int64_t j = 0; j < cols; ++j) row[j] = t[j];
          }
        }
      }
    }
  }
}

inline int64_t depth_block(int64_t k) {
  const int64_t slices = (k + kKc - 1) / kKc;
  return (k + slices - 1) / slices;
}

// One product on the calling thread.
template <class K>
void gemm_serial(const GemmArgs& g, const float* a, const float* b, float* c) {
  const int64_t kcb = depth_block(g.k);
  const int64_t panels = (g.n + K::NR - 1) / K::NR;
  const int64_t mcb = ((kMc + K::MR - 1) / K::MR) * K::MR;
  float* bpack = t_bpack.get(static_cast<size_t>(panels * K::NR * kcb));
  float* apack = t_apack.get(static_cast<size_t>(mcb * kcb));
  for (int64_t p0 = 0; p0 < g.k; p0 += kcb) {
    const int64_t kc = std::min(kcb, g.k - p0);
    pack_b<K::NR>(g, b, 0, panels, p0, kc, bpack);
    for (int64_t i0 = 0; i0 < g.m; i0 += mcb) {
      const int64_t mc = std::min(mcb, g.m - i0);
      if constexpr (HasDirectA<K>::value) {
        if (use_direct_a<K>(g, kc)) {
          macro_kernel_direct<K>(g, a, c, apack, bpack, i0, mc, 0, panels, p0, kc, p0 > 0);
          continue;
        }
      }
      pack_a<K::MR>(g, a, i0, mc, p0, kc, apack);
      macro_kernel<K>(g, c, apack, bpack, i0, mc, 0, panels, kc, p0 > 0);
    }
  }
}

// One product over the whole pool: the packed B slice is shared; tasks are (row block, panel range) pairs.
template <class K>
void gemm_parallel(const GemmArgs& g, const float* a, const float* b, float* c, int threads) {
  const int64_t kcb = depth_block(g.k);
  const int64_t panels = (g.n + K::NR - 1) / K::NR;
  // Row blocks of about kMc rows, of even size (a block of 126 rows beside one of 2 left a thread idle); the
  // count is taken after rounding the size up to whole micro-panels, so that no block is empty.
  const int64_t wanted_blocks = (g.m + kMc - 1) / kMc;
  const int64_t mcb = (((g.m + wanted_blocks - 1) / wanted_blocks + K::MR - 1) / K::MR) * K::MR;
  const int64_t row_blocks = (g.m + mcb - 1) / mcb;
  // Tasks are taken dynamically, so the step ends with the thread that runs the most: make the task count a
  // multiple of the thread count by also splitting the column panels (3 row blocks on 2 threads ran at 3/4
  // speed; these are the weight gradients Xᵀ·dY of a hidden-384 model). Which thread computes a tile never
  // changes its bits.
  int64_t col_groups = 1;
  while (col_groups < panels && (row_blocks * col_groups < threads || (row_blocks * col_groups) % threads != 0)) ++col_groups;
  if ((row_blocks * col_groups) % threads != 0) col_groups = std::min<int64_t>(panels, (4 * threads + row_blocks - 1) / row_blocks);
  float* bpack = t_bpack.get(static_cast<size_t>(panels * K::NR * kcb));
  ThreadPool& pool = ThreadPool::instance();
  for (int64_t p0 = 0; p0 < g.k; p0 += kcb) {
    const int64_t kc = std::min(kcb, g.k - p0);
    pool.run(std::min<int64_t>(panels, threads), [&](int64_t t) {
      int64_t jb, je;
      split_range(panels, std::min<int64_t>(panels, threads), t, &jb, &je);
      pack_b<K::NR>(g, b, jb, je, p0, kc, bpack);
    });
    pool.run(row_blocks * col_groups, [&](int64_t task) {
      const int64_t rb = task / col_groups, cg = task % col_groups;
      const int64_t i0 = rb * mcb, mc = std::min(mcb, g.m - i0);
      int64_t jb, je;
      split_range(panels, col_groups, cg, &jb, &je);
      float* apack = t_apack.get(static_cast<size_t>(mcb * kc));
      if constexpr (HasDirectA<K>::value) {
        if (use_direct_a<K>(g, kc)) {
          macro_kernel_direct<K>(g, a, c, apack, bpack, i0, mc, jb, je, p0, kc, p0 > 0);
          return;
        }
      }
      pack_a<K::MR>(g, a, i0, mc, p0, kc, apack);
      macro_kernel<K>(g, c, apack, bpack, i0, mc, jb, je, kc, p0 > 0);
    });
  }
}

template <class K>
void run_batched(const GemmArgs& g, int64_t batch, int64_t sa, int64_t sb, int64_t sc) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {
    for (int64_t i = 0; i < batch; ++i)
      for (int64_t r = 0; r < g.m; ++r) std::memset(g.c + i * sc + r * g.ldc, 0, g.n * sizeof(float));
    return;
  }
  const int threads = ThreadPool::instance().threads();
  const int64_t work = g.m * g.n * g.k;  // multiply-adds of one product
  // By batch when there are enough products for every thread (each C element is still computed by one
  // thread in the same order, so results do not depend on the split), else each product over blocks of C.
  if (threads <= 1 || batch * work < 2 * grains().gemm || batch >= 2 * threads) {
    parallel_for(batch, std::max<int64_t>(1, grains().gemm / work), [&](int64_t b0, int64_t b1) {
      for (int64_t i = b0; i < b1; ++i) gemm_serial<K>(g, g.a + i * sa, g.b + i * sb, g.c + i * sc);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) gemm_parallel<K>(g, g.a + i * sa, g.b + i * sb, g.c + i * sc, threads);
  }
}

}  // namespace

void sgemm_batched(const GemmArgs& args, int64_t batch, int64_t stride_a, int64_t stride_b, int64_t stride_c) {
  switch (active_isa()) {
#if CARL_X86
    case Isa::Avx512:
      return run_batched<Avx512Kernel>(args, batch, stride_a, stride_b, stride_c);
    case Isa::Avx2:
      return run_batched<Avx2Kernel>(args, batch, stride_a, stride_b, stride_c);
#endif
    default:
      return run_batched<GenericKernel>(args, batch, stride_a, stride_b, stride_c);
  }
}

}  // namespace carl
