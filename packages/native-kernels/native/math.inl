// Vectorisable float approximations shared by the element-wise and fused kernels (header-only, inlined).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common.h"

namespace carl {

CARL_INLINE float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// exp(x) after Cephes' expf: range reduction by ln 2 and a degree-6 polynomial (max rel. error ≈ 2e-7).
// 2^n is applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float, so results reach FLT_MAX above and
// round into the denormals below (like libm) instead of flushing to zero. +inf above ln(FLT_MAX).
CARL_INLINE float exp_approx(float x) {
  const float hi = 88.72283905206835f, lo = -104.0f;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  const float n = std::nearbyint(xc * 1.44269504088896341f);
  const float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r2 + r + 1.0f;
  const int32_t k = static_cast<int32_t>(n);
  const int32_t k1 = k >> 1, k2 = k - k1;
  const float y = (p * bits_to_float(static_cast<uint32_t>(k1 + 127) << 23)) * bits_to_float(static_cast<uint32_t>(k2 + 127) << 23);
  return x > hi ? std::numeric_limits<float>::infinity() : y;
}

// erf(x) as a rational approximation on [-4, 4] (the one Eigen and XLA use; error a few ulp), ±1 outside.
CARL_INLINE float erf_approx(float x) {
  const float xc = x > 4.0f ? 4.0f : (x < -4.0f ? -4.0f : x);
  const float x2 = xc * xc;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * xc;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

// tanh(x) as Eigen's rational approximation on [-7.9, 7.9] (error a few ulp); x itself near 0.
CARL_INLINE float tanh_approx(float x) {
  const float xc = x > 7.90531110763549805f ? 7.90531110763549805f : (x < -7.90531110763549805f ? -7.90531110763549805f : x);
  const float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * xc;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float y = p / q;
  return std::fabs(x) < 0.0004f ? x : y;
}

}  // namespace carl
