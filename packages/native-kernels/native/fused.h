#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"

namespace carl {

// Layer normalisation over the last axis of x [rows, n]: out = (x − mean)·rstd·gamma + beta with
// rstd = 1/√(var + eps) (biased variance, as tf.moments). Saves mean and rstd per row for the gradient.
void layer_norm(const float* x, const float* gamma, const float* beta, float* out, float* mean, float* rstd,
                int64_t rows, int64_t n, float eps);

// Gradients of layer_norm: dx [rows, n], dgamma [n], dbeta [n].
void layer_norm_grad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd,
                     float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t n);

// Exact (erf) GELU, x·Φ(x), and its gradient dx = dy·(Φ(x) + x·φ(x)).
void gelu(const float* x, float* out, int64_t n);
void gelu_grad(const float* dy, const float* x, float* dx, int64_t n);

// Gradient of a last-axis softmax y [rows, n]: dx = y·(dy − Σ dy·y).
void softmax_grad(const float* dy, const float* y, float* dx, int64_t rows, int64_t n);

// Coefficients of one AdamW update, computed by the caller exactly as @carl/core's AdamW computes the
// scalars it multiplies by, so the fused update rounds like the op-by-op one.
struct AdamCoefficients {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, correction1, correction2, epsilon, decay, learning_rate;
  bool apply_decay;
};

struct AdamElement {
  float param, m, v;
};

// One element of the AdamW update, shared by the out-of-place kernel (adam_update) and the in-place one
// (adam_in_place.cc) so both round identically. Same operations in the same order as core's AdamW (mul, mul,
// add; square, mul, mul, add; div, div, sqrt, add, div; mul, mul, sub), and no fused multiply-adds (GCC
// contracts a*b + c by default even in ISO C++ mode), so results match it to the last bit. GCC contracts in
// the function it inlines into, so each caller's loop must switch contraction off as well.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
CARL_INLINE AdamElement adam_element(float p, float g, float m, float v, const AdamCoefficients& c) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const float mi = m * c.beta1 + g * c.one_minus_beta1;
  const float vi = v * c.beta2 + (g * g) * c.one_minus_beta2;
  const float update = (mi / c.correction1) / (std::sqrt(vi / c.correction2) + c.epsilon);
  const float decayed = c.apply_decay ? p * c.decay : p;
  return {decayed - update * c.learning_rate, mi, vi};
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

// One AdamW update (out of place): m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², p' = p·decay − lr·(m'/c1)/(√(v'/c2) + ε).
void adam_update(const float* param, const float* grad, const float* m, const float* v, float* param_out, float* m_out,
                 float* v_out, int64_t n, const AdamCoefficients& c);

}  // namespace carl
