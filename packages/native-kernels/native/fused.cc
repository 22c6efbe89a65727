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

// No fused multiply-adds here (GCC contracts a*b + c by default even in ISO C++ mode): each step must round
// like the separate tfjs ops of core's AdamW.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
CARL_CLONES void adam_loop(const float* CARL_RESTRICT p, const float* CARL_RESTRICT g, const float* CARL_RESTRICT m,
                           const float* CARL_RESTRICT v, float* CARL_RESTRICT po, float* CARL_RESTRICT mo, float* CARL_RESTRICT vo,
                           int64_t n, AdamCoefficients c) {
  // Same operations in the same order as core's AdamW (mul, mul, add; square, mul, mul, add; div, div, sqrt,
  // add, div; mul, mul, sub), so results match it to the last bit.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  for (int64_t i = 0; i < n; ++i) {
    const float mi = m[i] * c.beta1 + g[i] * c.one_minus_beta1;
    const float vi = v[i] * c.beta2 + (g[i] * g[i]) * c.one_minus_beta2;
    const float update = (mi / c.correction1) / (std::sqrt(vi / c.correction2) + c.epsilon);
    const float decayed = c.apply_decay ? p[i] * c.decay : p[i];
    mo[i] = mi;
    vo[i] = vi;
    po[i] = decayed - update * c.learning_rate;
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

}  // namespace

void layer_norm(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd,
                int64_t rows, int64_t n, float eps) {
  if (n == 0) return;
  parallel_for(rows, std::max<int64_t>(1, (1 << 14) / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) ln_row(x + r * n, gamma, beta, out + r * n, mean + r, rstd + r, n, eps);
  });
}

void layer_norm_grad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                     float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t n) {
  std::memset(dgamma, 0, static_cast<size_t>(n) * sizeof(float));
  std::memset(dbeta, 0, static_cast<size_t>(n) * sizeof(float));
  if (n == 0) return;
  const int threads = ThreadPool::instance().threads();
  if (threads <= 1 || rows < 64) {
    for (int64_t r = 0; r < rows; ++r)
      ln_grad_row(dy + r * n, x + r * n, gamma, mean[r], rstd[r], dx + r * n, dgamma, dbeta, n);
    return;
  }
  // Each thread sums its own dgamma/dbeta partials; they are added at the end.
  std::vector<float> partial(static_cast<size_t>(threads) * 2 * n, 0.f);
  ThreadPool::instance().run(threads, [&](int64_t t) {
    int64_t r0, r1;
    split_range(rows, threads, t, &r0, &r1);
    float* pg = partial.data() + t * 2 * n;
    for (int64_t r = r0; r < r1; ++r) ln_grad_row(dy + r * n, x + r * n, gamma, mean[r], rstd[r], dx + r * n, pg, pg + n, n);
  });
  for (int t = 0; t < threads; ++t)
    for (int64_t i = 0; i < n; ++i) {
      dgamma[i] += partial[t * 2 * n + i];
      dbeta[i] += partial[t * 2 * n + n + i];
    }
}

void gelu(const float* x, float* out, int64_t n) {
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) { gelu_loop(x + b, out + b, e - b); });
}

void gelu_grad(const float* dy, const float* x, float* dx, int64_t n) {
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) { gelu_grad_loop(dy + b, x + b, dx + b, e - b); });
}

void softmax_grad(const float* dy, const float* y, float* dx, int64_t rows, int64_t n) {
  if (n == 0) return;
  parallel_for(rows, std::max<int64_t>(1, (1 << 15) / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) softmax_grad_row(dy + r * n, y + r * n, dx + r * n, n);
  });
}

void adam_update(const float* param, const float* grad, const float* m, const float* v, float* param_out, float* m_out,
                 float* v_out, int64_t n, const AdamCoefficients& c) {
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    adam_loop(param + b, grad + b, m + b, v + b, param_out + b, m_out + b, v_out + b, e - b, c);
  });
}

}  // namespace carl
