// Fused kernels: each replaces a chain of 5–15 tfjs ops (and as many intermediate tensors) by one pass.
#include "fused.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common.h"
#include "math.inl"

namespace carl {

namespace {

constexpr int64_t kAlign = 16;       // element-wise chunks start on a cache line (see elementwise.cc)
constexpr int64_t kLnBlockRows = 32;  // rows per dgamma/dbeta partial in the LayerNorm gradient

CARL_CLONES void ln_row(const float* CARL_RESTRICT x, const float* CARL_RESTRICT gamma, const float* CARL_RESTRICT beta,
                        float* CARL_RESTRICT out, float* mean_out, float* rstd_out, int64_t n, float eps) {
  float s = 0.f;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  const float mean = s / static_cast<float>(n);
  // Two passes (mean, then squared deviations) like tf.moments, for the same rounding behaviour.
  float q = 0.f;
  for (int64_t i = 0; i < n; ++i) q += (x[i] - mean) * (x[i] - mean);
  const float rstd = 1.0f / std::sqrt(q / static_cast<float>(n) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
  *mean_out = mean;
  *rstd_out = rstd;
}

CARL_CLONES void ln_grad_row(const float* CARL_RESTRICT dy, const float* CARL_RESTRICT x, const float* CARL_RESTRICT gamma,
                             float mean, float rstd, float* CARL_RESTRICT dx, float* CARL_RESTRICT dgamma,
                             float* CARL_RESTRICT dbeta, int64_t n) {
  float s1 = 0.f, s2 = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    const float xhat = (x[i] - mean) * rstd;
    const float g = dy[i] * gamma[i];
    s1 += g;
    s2 += g * xhat;
    dgamma[i] += dy[i] * xhat;
    dbeta[i] += dy[i];
  }
  const float inv_n = 1.0f / static_cast<float>(n);
  s1 *= inv_n;
  s2 *= inv_n;
  for (int64_t i = 0; i < n; ++i) {
    const float xhat = (x[i] - mean) * rstd;
    dx[i] = rstd * (dy[i] * gamma[i] - s1 - xhat * s2);
  }
}

CARL_CLONES void gelu_loop(const float* CARL_RESTRICT x, float* CARL_RESTRICT out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = 0.5f * x[i] * (1.0f + erf_approx(x[i] * 0.70710678118654752f));
}

CARL_CLONES void gelu_grad_loop(const float* CARL_RESTRICT dy, const float* CARL_RESTRICT x, float* CARL_RESTRICT dx,
                                int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float cdf = 0.5f * (1.0f + erf_approx(v * 0.70710678118654752f));
    const float pdf = 0.3989422804014327f * exp_approx(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

CARL_CLONES void softmax_grad_row(const float* CARL_RESTRICT dy, const float* CARL_RESTRICT y, float* CARL_RESTRICT dx,
                                  int64_t n) {
  float s = 0.f;
  for (int64_t i = 0; i < n; ++i) s += dy[i] * y[i];
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] * (dy[i] - s);
}

// No fused multiply-adds (see adam_element): GCC contracts in the function adam_element is inlined into.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
CARL_CLONES void adam_loop(const float* CARL_RESTRICT p, const float* CARL_RESTRICT g, const float* CARL_RESTRICT m,
                           const float* CARL_RESTRICT v, float* CARL_RESTRICT po, float* CARL_RESTRICT mo, float* CARL_RESTRICT vo,
                           int64_t n, AdamCoefficients c) {
  for (int64_t i = 0; i < n; ++i) {
    const AdamElement e = adam_element(p[i], g[i], m[i], v[i], c);
    po[i] = e.param;
    mo[i] = e.m;
    vo[i] = e.v;
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

}  // namespace

void layer_norm(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd,
                int64_t rows, int64_t n, float eps) {
  if (n == 0) return;
  parallel_for(rows, std::max<int64_t>(1, grains().rows / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) ln_row(x + r * n, gamma, beta, out + r * n, mean + r, rstd + r, n, eps);
  });
}

void layer_norm_grad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                     float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t n) {
  std::memset(dgamma, 0, static_cast<size_t>(n) * sizeof(float));
  std::memset(dbeta, 0, static_cast<size_t>(n) * sizeof(float));
  if (n == 0 || rows == 0) return;
  // dgamma/dbeta: each block of kLnBlockRows rows sums its own partials, then the blocks are added in order.
  // The blocks depend on the row count alone, so the result is the same for every thread count.
  const int64_t blocks = (rows + kLnBlockRows - 1) / kLnBlockRows;
  std::vector<float> partial(static_cast<size_t>(blocks) * 2 * n, 0.f);
  parallel_for(blocks, std::max<int64_t>(1, grains().rows / (kLnBlockRows * n)), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      float* pg = partial.data() + blk * 2 * n;
      const int64_t r1 = std::min(rows, (blk + 1) * kLnBlockRows);
      for (int64_t r = blk * kLnBlockRows; r < r1; ++r)
        ln_grad_row(dy + r * n, x + r * n, gamma, mean[r], rstd[r], dx + r * n, pg, pg + n, n);
    }
  });
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const float* pg = partial.data() + blk * 2 * n;
    for (int64_t i = 0; i < n; ++i) {
      dgamma[i] += pg[i];
      dbeta[i] += pg[n + i];
    }
  }
}

void gelu(const float* x, float* out, int64_t n) {
  parallel_for(n, grains().transcend, [&](int64_t b, int64_t e) { gelu_loop(x + b, out + b, e - b); }, kAlign);
}

void gelu_grad(const float* dy, const float* x, float* dx, int64_t n) {
  parallel_for(n, grains().transcend, [&](int64_t b, int64_t e) { gelu_grad_loop(dy + b, x + b, dx + b, e - b); }, kAlign);
}

void softmax_grad(const float* dy, const float* y, float* dx, int64_t rows, int64_t n) {
  if (n == 0) return;
  parallel_for(rows, std::max<int64_t>(1, grains().rows / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) softmax_grad_row(dy + r * n, y + r * n, dx + r * n, n);
  });
}

void adam_update(const float* param, const float* grad, const float* m, const float* v, float* param_out, float* m_out,
                 float* v_out, int64_t n, const AdamCoefficients& c) {
  parallel_for(n, grains().adam, [&](int64_t b, int64_t e) {
    adam_loop(param + b, grad + b, m + b, v + b, param_out + b, m_out + b, v_out + b, e - b, c);
  }, kAlign);
}

}  // namespace carl
