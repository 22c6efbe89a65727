#pragma once

#include <cstdint>

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

// One AdamW update (out of place): m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², p' = p·decay − lr·(m'/c1)/(√(v'/c2) + ε).
void adam_update(const float* param, const float* grad, const float* m, const float* v, float* param_out, float* m_out,
                 float* v_out, int64_t n, const AdamCoefficients& c);

}  // namespace carl
