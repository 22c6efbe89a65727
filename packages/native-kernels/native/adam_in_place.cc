// AdamW with the moments outside the wasm heap (@carl/core's AdamW, stateLocation 'outside'): the parameter is
// updated in place in the heap, the moments in place in two Float32Arrays that JavaScript owns, so 2 × the
// parameters' bytes (876 MB for BERT-base) never take heap space from activations.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstdint>
#include <string>

#include "common.h"
#include "fused.h"

namespace carl {
namespace {

// No fused multiply-adds (see adam_element): every step must round like the separate tfjs ops, the
// out-of-place CarlAdamW kernel and core's JavaScript loop, so all three agree to the last bit.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
CARL_CLONES void adam_in_place_loop(float* CARL_RESTRICT p, const float* CARL_RESTRICT g, float* CARL_RESTRICT m,
                                    float* CARL_RESTRICT v, int64_t n, AdamCoefficients c) {
  for (int64_t i = 0; i < n; ++i) {
    const AdamElement e = adam_element(p[i], g[i], m[i], v[i], c);
    m[i] = e.m;
    v[i] = e.v;
    p[i] = e.param;
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_range_error(env, "CARL_NATIVE_ARGS", message.c_str());
  return nullptr;
}

// A Float32Array argument's data, or null when it is something else or shorter than `count`.
float* float32_array(napi_env env, napi_value value, int64_t count) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok) return nullptr;
  if (type != napi_float32_array || static_cast<int64_t>(length) < count) return nullptr;
  return static_cast<float*>(data);
}

}  // namespace

// adamInPlace(heap, paramOff, grad, m, v, size, beta1, 1−beta1, beta2, 1−beta2, correction1, correction2, epsilon,
//             decay|NaN, learningRate): grad is a byte offset in the heap or a Float32Array; m and v are Float32Arrays.
napi_value AdamInPlace(napi_env env, napi_callback_info info) {
  constexpr size_t kArgs = 15;
  size_t argc = kArgs;
  napi_value argv[kArgs];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < kArgs) {
    return fail(env, "adamInPlace expects 15 arguments");
  }
  void* heap_data = nullptr;
  size_t heap_len = 0;
  bool is_buffer = false;
  napi_is_arraybuffer(env, argv[0], &is_buffer);
  if (!is_buffer || napi_get_arraybuffer_info(env, argv[0], &heap_data, &heap_len) != napi_ok) {
    return fail(env, "argument 0 must be an ArrayBuffer (the wasm heap)");
  }
  int64_t size = 0, param_off = 0;
  if (napi_get_value_int64(env, argv[5], &size) != napi_ok || size < 0) return fail(env, "size must be a non-negative integer");
  if (napi_get_value_int64(env, argv[1], &param_off) != napi_ok) return fail(env, "paramOff must be a number");
  const auto in_heap = [&](int64_t offset) {
    return offset >= 0 && (offset & 3) == 0 && static_cast<uint64_t>(offset) + static_cast<uint64_t>(size) * 4 <= heap_len;
  };
  if (!in_heap(param_off)) return fail(env, "the parameter's range is misaligned or lies outside the heap");
  auto* heap = static_cast<uint8_t*>(heap_data);
  float* param = reinterpret_cast<float*>(heap + param_off);
  const float* grad = float32_array(env, argv[2], size);
  if (grad == nullptr) {
    int64_t grad_off = 0;
    if (napi_get_value_int64(env, argv[2], &grad_off) != napi_ok || !in_heap(grad_off)) {
      return fail(env, "grad must be a heap offset inside the heap or a Float32Array of the parameter's size");
    }
    grad = reinterpret_cast<const float*>(heap + grad_off);
  }
  float* m = float32_array(env, argv[3], size);
  float* v = float32_array(env, argv[4], size);
  if (m == nullptr || v == nullptr) return fail(env, "m and v must be Float32Arrays of the parameter's size");
  double k[9];
  for (int i = 0; i < 9; ++i) {
    if (napi_get_value_double(env, argv[6 + i], &k[i]) != napi_ok) return fail(env, "the coefficients must be numbers");
  }
  AdamCoefficients c;
  c.beta1 = static_cast<float>(k[0]);
  c.one_minus_beta1 = static_cast<float>(k[1]);
  c.beta2 = static_cast<float>(k[2]);
  c.one_minus_beta2 = static_cast<float>(k[3]);
  c.correction1 = static_cast<float>(k[4]);
  c.correction2 = static_cast<float>(k[5]);
  c.epsilon = static_cast<float>(k[6]);
  c.apply_decay = k[7] == k[7];  // NaN: no weight decay
  c.decay = c.apply_decay ? static_cast<float>(k[7]) : 1.0f;
  c.learning_rate = static_cast<float>(k[8]);
  parallel_for(size, 1 << 15, [&](int64_t b, int64_t e) { adam_in_place_loop(param + b, grad + b, m + b, v + b, e - b, c); });
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

}  // namespace carl
