// N-API bindings. Every kernel works in place on memory the caller owns (the tfjs wasm heap): it receives
// the heap's ArrayBuffer plus byte offsets, checks every range against the buffer's length, and never
// allocates or keeps JS objects. Plain C N-API (node_api.h) so no npm dependency is needed to build.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "elementwise.h"
#include "fused.h"
#include "gemm.h"

namespace carl {
// adam_in_place.cc: AdamW with the moments in Float32Arrays outside the heap.
napi_value AdamInPlace(napi_env env, napi_callback_info info);
}  // namespace carl

namespace {

using namespace carl;

constexpr int kMaxArgs = 20;

// Argument reader: the first failure records a JS exception and every later read is ignored.
class Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t expected) : env_(env) {
    argc_ = kMaxArgs;
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
    if (argc_ < expected) fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc_));
  }
  bool ok() const { return ok_; }
  size_t count() const { return argc_; }

  void heap(size_t i) {
    if (!ok_) return;
    void* data = nullptr;
    bool is_ab = false;
    napi_is_arraybuffer(env_, argv_[i], &is_ab);
    if (!is_ab || napi_get_arraybuffer_info(env_, argv_[i], &data, &heap_len_) != napi_ok) {
      fail("argument " + std::to_string(i) + " must be an ArrayBuffer (the wasm heap)");
      return;
    }
    heap_ = static_cast<uint8_t*>(data);
  }

  int64_t i64(size_t i) {
    int64_t v = 0;
    if (ok_ && napi_get_value_int64(env_, argv_[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }

  bool flag(size_t i) {
    bool v = false;
    if (ok_ && napi_get_value_bool(env_, argv_[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a boolean");
    return v;
  }

  double f64(size_t i) {
    double v = 0;
    if (ok_ && napi_get_value_double(env_, argv_[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }

  std::vector<int64_t> shape(size_t i) {
    std::vector<int64_t> out;
    if (!ok_) return out;
    uint32_t len = 0;
    if (napi_get_array_length(env_, argv_[i], &len) != napi_ok || len > 8) {
      fail("argument " + std::to_string(i) + " must be an array of at most 8 integers");
      return out;
    }
    out.resize(len);
    for (uint32_t k = 0; k < len; ++k) {
      napi_value e;
      napi_get_element(env_, argv_[i], k, &e);
      if (napi_get_value_int64(env_, e, &out[k]) != napi_ok || out[k] < 0) {
        fail("argument " + std::to_string(i) + " must hold non-negative integers");
        return out;
      }
    }
    return out;
  }

  // A view of `count` 4-byte elements at byte `offset` in the heap, or null (with an exception) when the
  // range is misaligned or not inside the buffer.
  template <class T>
  T* at(int64_t offset, int64_t count) {
    static_assert(sizeof(T) == 4, "4-byte elements only");
    if (!ok_) return nullptr;
    if (offset < 0 || count < 0 || (offset & 3) != 0 ||
        static_cast<uint64_t>(offset) + static_cast<uint64_t>(count) * 4 > heap_len_) {
      fail("tensor range [" + std::to_string(offset) + ", +" + std::to_string(count * 4) + ") is misaligned or lies outside the heap of " +
           std::to_string(heap_len_) + " bytes");
      return nullptr;
    }
    return reinterpret_cast<T*>(heap_ + offset);
  }

  void fail(const std::string& message) {
    if (!ok_) return;
    ok_ = false;
    napi_throw_range_error(env_, "CARL_NATIVE_ARGS", message.c_str());
  }

 private:
  napi_env env_;
  size_t argc_;
  napi_value argv_[kMaxArgs];
  uint8_t* heap_ = nullptr;
  size_t heap_len_ = 0;
  bool ok_ = true;
};

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value boolean(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// matmul(heap, aOff, bOff, outOff, batch, m, n, k, transA, transB, batchStrideA, batchStrideB)
napi_value MatMul(napi_env env, napi_callback_info info) {
  Args args(env, info, 12);
  args.heap(0);
  const int64_t a_off = args.i64(1), b_off = args.i64(2), c_off = args.i64(3);
  const int64_t batch = args.i64(4), m = args.i64(5), n = args.i64(6), k = args.i64(7);
  const bool ta = args.flag(8), tb = args.flag(9);
  const int64_t sa = args.i64(10), sb = args.i64(11);
  if (!args.ok()) return nullptr;
  if (batch < 0 || m < 0 || n < 0 || k < 0 || sa < 0 || sb < 0) {
    args.fail("negative dimension or stride");
    return nullptr;
  }
  const int64_t batches_a = sa == 0 ? 1 : batch, batches_b = sb == 0 ? 1 : batch;
  GemmArgs g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = args.at<const float>(a_off, (batches_a - 1) * sa + m * k);
  g.b = args.at<const float>(b_off, (batches_b - 1) * sb + k * n);
  g.c = args.at<float>(c_off, batch * m * n);
  if (!args.ok()) return nullptr;
  if ((sa != 0 && sa < m * k) || (sb != 0 && sb < k * n)) {
    args.fail("batch stride smaller than one matrix");
    return nullptr;
  }
  g.lda = ta ? m : k;
  g.ldb = tb ? k : n;
  g.ldc = n;
  sgemm_batched(g, batch, sa, sb, m * n);
  return undefined(env);
}

// unary(heap, op, xOff, outOff, size)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  args.heap(0);
  const int64_t op = args.i64(1), size = args.i64(4);
  const float* x = args.at<const float>(args.i64(2), size);
  float* out = args.at<float>(args.i64(3), size);
  if (!args.ok()) return nullptr;
  if (op < 0 || op >= static_cast<int64_t>(UnaryOp::Count)) {
    args.fail("unknown unary op " + std::to_string(op));
    return nullptr;
  }
  unary(static_cast<UnaryOp>(op), x, out, size);
  return undefined(env);
}

// binary(heap, op, aOff, aShape, bOff, bShape, outOff, outShape)
napi_value Binary(napi_env env, napi_callback_info info) {
  Args args(env, info, 8);
  args.heap(0);
  const int64_t op = args.i64(1);
  const std::vector<int64_t> a_shape = args.shape(3), b_shape = args.shape(5), out_shape = args.shape(7);
  if (!args.ok()) return nullptr;
  if (op < 0 || op >= static_cast<int64_t>(BinaryOp::Count)) {
    args.fail("unknown binary op " + std::to_string(op));
    return nullptr;
  }
  // Broadcasting is validated here too: every input axis must be 1 or equal the output's.
  if (a_shape.size() > out_shape.size() || b_shape.size() > out_shape.size()) {
    args.fail("input rank exceeds output rank");
    return nullptr;
  }
  for (const auto* s : {&a_shape, &b_shape}) {
    const size_t shift = out_shape.size() - s->size();
    for (size_t d = 0; d < s->size(); ++d) {
      if ((*s)[d] != 1 && (*s)[d] != out_shape[d + shift]) {
        args.fail("shapes do not broadcast to the output shape");
        return nullptr;
      }
    }
  }
  const float* a = args.at<const float>(args.i64(2), product(a_shape));
  const float* b = args.at<const float>(args.i64(4), product(b_shape));
  float* out = args.at<float>(args.i64(6), product(out_shape));
  if (!args.ok()) return nullptr;
  if (product(out_shape) == 0) return undefined(env);
  binary(static_cast<BinaryOp>(op), a, a_shape, b, b_shape, out, out_shape);
  return undefined(env);
}

// reduce(heap, op, xOff, outOff, outer, n, inner)
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  args.heap(0);
  const int64_t op = args.i64(1), outer = args.i64(4), n = args.i64(5), inner = args.i64(6);
  if (!args.ok()) return nullptr;
  if (op < 0 || op >= static_cast<int64_t>(ReduceOp::Count) || outer < 0 || n < 0 || inner < 0) {
    args.fail("bad reduce arguments");
    return nullptr;
  }
  const float* x = args.at<const float>(args.i64(2), outer * n * inner);
  float* out = args.at<float>(args.i64(3), outer * inner);
  if (!args.ok()) return nullptr;
  reduce(static_cast<ReduceOp>(op), x, out, outer, n, inner);
  return undefined(env);
}

// transpose(heap, xOff, outOff, shape, perm)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  args.heap(0);
  const std::vector<int64_t> shape = args.shape(3), perm = args.shape(4);
  if (!args.ok()) return nullptr;
  std::vector<bool> seen(shape.size(), false);
  bool valid = perm.size() == shape.size();
  for (size_t i = 0; valid && i < perm.size(); ++i) {
    valid = perm[i] < static_cast<int64_t>(shape.size()) && !seen[perm[i]];
    if (valid) seen[perm[i]] = true;
  }
  if (!valid) {
    args.fail("perm is not a permutation of the axes");
    return nullptr;
  }
  const int64_t size = product(shape);
  const uint32_t* x = args.at<const uint32_t>(args.i64(1), size);
  uint32_t* out = args.at<uint32_t>(args.i64(2), size);
  if (!args.ok()) return nullptr;
  transpose(x, out, shape, perm);
  return undefined(env);
}

// gatherRows(heap, xOff, rows, inner, indicesOff, count, outOff) → false when an index is out of range
napi_value GatherRows(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  args.heap(0);
  const int64_t rows = args.i64(2), inner = args.i64(3), count = args.i64(5);
  const uint32_t* x = args.at<const uint32_t>(args.i64(1), rows * inner);
  const int32_t* idx = args.at<const int32_t>(args.i64(4), count);
  uint32_t* out = args.at<uint32_t>(args.i64(6), count * inner);
  if (!args.ok()) return nullptr;
  return boolean(env, gather_rows(x, rows, inner, idx, count, out));
}

// segmentSum(heap, xOff, idsOff, n, numSegments, inner, outOff): out[numSegments × inner] = UnsortedSegmentSum
napi_value SegmentSum(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  args.heap(0);
  const int64_t n = args.i64(3), segments = args.i64(4), inner = args.i64(5);
  if (!args.ok()) return nullptr;
  if (n < 0 || segments < 0 || inner < 0) {
    args.fail("negative size");
    return nullptr;
  }
  const float* x = args.at<const float>(args.i64(1), n * inner);
  const int32_t* ids = args.at<const int32_t>(args.i64(2), n);
  float* out = args.at<float>(args.i64(6), segments * inner);
  if (!args.ok()) return nullptr;
  segment_sum(x, ids, n, segments, inner, out);
  return undefined(env);
}

// stridedCopy(heap, srcOff, dstOff, shape, srcStrides, dstStrides) — strides in elements
napi_value StridedCopy(napi_env env, napi_callback_info info) {
  Args args(env, info, 6);
  args.heap(0);
  const std::vector<int64_t> shape = args.shape(3), ss = args.shape(4), ds = args.shape(5);
  if (!args.ok()) return nullptr;
  if (ss.size() != shape.size() || ds.size() != shape.size()) {
    args.fail("shape and strides differ in rank");
    return nullptr;
  }
  // Extent of each side: 1 + Σ (size−1)·stride elements (strides are non-negative).
  int64_t src_extent = 1, dst_extent = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return undefined(env);
    src_extent += (shape[d] - 1) * ss[d];
    dst_extent += (shape[d] - 1) * ds[d];
  }
  const uint32_t* src = args.at<const uint32_t>(args.i64(1), src_extent);
  uint32_t* dst = args.at<uint32_t>(args.i64(2), dst_extent);
  if (!args.ok()) return nullptr;
  strided_copy(src, dst, shape, ss, ds);
  return undefined(env);
}

// dropout(heap, xOff, outOff, size, seed, threshold, scale[, offset]) — offset: mask counter of the first element
napi_value Dropout(napi_env env, napi_callback_info info) {
  Args args(env, info, 7);
  args.heap(0);
  const int64_t size = args.i64(3), seed = args.i64(4), threshold = args.i64(5);
  const double scale = args.f64(6);
  const int64_t offset = args.count() > 7 ? args.i64(7) : 0;
  if (offset < 0) {
    args.fail("offset must be a non-negative integer");
    return nullptr;
  }
  const float* x = args.at<const float>(args.i64(1), size);
  float* out = args.at<float>(args.i64(2), size);
  if (!args.ok()) return nullptr;
  if (seed < 0 || seed > 0xffffffffLL || threshold < 0 || threshold > 0xffffffffLL) {
    args.fail("seed and threshold must be 32-bit unsigned integers");
    return nullptr;
  }
  dropout(x, out, size, static_cast<uint32_t>(seed), static_cast<uint32_t>(threshold), static_cast<float>(scale),
          static_cast<uint32_t>(static_cast<uint64_t>(offset) & 0xffffffffULL));
  return undefined(env);
}

// softmax(heap, xOff, outOff, rows, n)
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  args.heap(0);
  const int64_t rows = args.i64(3), n = args.i64(4);
  const float* x = args.at<const float>(args.i64(1), rows * n);
  float* out = args.at<float>(args.i64(2), rows * n);
  if (!args.ok()) return nullptr;
  softmax(x, out, rows, n);
  return undefined(env);
}

// layerNorm(heap, xOff, gammaOff, betaOff, outOff, meanOff, rstdOff, rows, n, epsilon)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args args(env, info, 10);
  args.heap(0);
  const int64_t rows = args.i64(7), n = args.i64(8);
  const double eps = args.f64(9);
  const float* x = args.at<const float>(args.i64(1), rows * n);
  const float* gamma = args.at<const float>(args.i64(2), n);
  const float* beta = args.at<const float>(args.i64(3), n);
  float* out = args.at<float>(args.i64(4), rows * n);
  float* mean = args.at<float>(args.i64(5), rows);
  float* rstd = args.at<float>(args.i64(6), rows);
  if (!args.ok()) return nullptr;
  layer_norm(x, gamma, beta, out, mean, rstd, rows, n, static_cast<float>(eps));
  return undefined(env);
}

// layerNormGrad(heap, dyOff, xOff, gammaOff, meanOff, rstdOff, dxOff, dgammaOff, dbetaOff, rows, n)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 11);
  args.heap(0);
  const int64_t rows = args.i64(9), n = args.i64(10);
  const float* dy = args.at<const float>(args.i64(1), rows * n);
  const float* x = args.at<const float>(args.i64(2), rows * n);
  const float* gamma = args.at<const float>(args.i64(3), n);
  const float* mean = args.at<const float>(args.i64(4), rows);
  const float* rstd = args.at<const float>(args.i64(5), rows);
  float* dx = args.at<float>(args.i64(6), rows * n);
  float* dgamma = args.at<float>(args.i64(7), n);
  float* dbeta = args.at<float>(args.i64(8), n);
  if (!args.ok()) return nullptr;
  layer_norm_grad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, n);
  return undefined(env);
}

// gelu(heap, xOff, outOff, size) / geluGrad(heap, dyOff, xOff, dxOff, size)
napi_value Gelu(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  args.heap(0);
  const int64_t size = args.i64(3);
  const float* x = args.at<const float>(args.i64(1), size);
  float* out = args.at<float>(args.i64(2), size);
  if (!args.ok()) return nullptr;
  gelu(x, out, size);
  return undefined(env);
}

napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  args.heap(0);
  const int64_t size = args.i64(4);
  const float* dy = args.at<const float>(args.i64(1), size);
  const float* x = args.at<const float>(args.i64(2), size);
  float* dx = args.at<float>(args.i64(3), size);
  if (!args.ok()) return nullptr;
  gelu_grad(dy, x, dx, size);
  return undefined(env);
}

// softmaxGrad(heap, dyOff, yOff, dxOff, rows, n): dx = y·(dy − Σ dy·y)
napi_value SoftmaxGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 6);
  args.heap(0);
  const int64_t rows = args.i64(4), n = args.i64(5);
  const float* dy = args.at<const float>(args.i64(1), rows * n);
  const float* y = args.at<const float>(args.i64(2), rows * n);
  float* dx = args.at<float>(args.i64(3), rows * n);
  if (!args.ok()) return nullptr;
  softmax_grad(dy, y, dx, rows, n);
  return undefined(env);
}

// adam(heap, paramOff, gradOff, mOff, vOff, paramOutOff, mOutOff, vOutOff, size,
//      beta1, 1−beta1, beta2, 1−beta2, correction1, correction2, epsilon, decay|NaN, learningRate)
// decay NaN: no weight decay for this parameter.
napi_value Adam(napi_env env, napi_callback_info info) {
  Args args(env, info, 18);
  args.heap(0);
  const int64_t size = args.i64(8);
  const float* param = args.at<const float>(args.i64(1), size);
  const float* grad = args.at<const float>(args.i64(2), size);
  const float* m = args.at<const float>(args.i64(3), size);
  const float* v = args.at<const float>(args.i64(4), size);
  float* param_out = args.at<float>(args.i64(5), size);
  float* m_out = args.at<float>(args.i64(6), size);
  float* v_out = args.at<float>(args.i64(7), size);
  AdamCoefficients c;
  c.beta1 = static_cast<float>(args.f64(9));
  c.one_minus_beta1 = static_cast<float>(args.f64(10));
  c.beta2 = static_cast<float>(args.f64(11));
  c.one_minus_beta2 = static_cast<float>(args.f64(12));
  c.correction1 = static_cast<float>(args.f64(13));
  c.correction2 = static_cast<float>(args.f64(14));
  c.epsilon = static_cast<float>(args.f64(15));
  const double decay = args.f64(16);
  c.apply_decay = decay == decay;
  c.decay = c.apply_decay ? static_cast<float>(decay) : 1.0f;
  c.learning_rate = static_cast<float>(args.f64(17));
  if (!args.ok()) return nullptr;
  adam_update(param, grad, m, v, param_out, m_out, v_out, size, c);
  return undefined(env);
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, isa_name(active_isa()), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "isa", v);
  napi_create_string_utf8(env, isa_name(detect_isa()), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "detectedIsa", v);
  napi_create_int32(env, ThreadPool::instance().threads(), &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_create_int32(env, 1, &v);
  napi_set_named_property(env, obj, "abiVersion", v);
  return obj;
}

// configure(threads, isaLimit): isaLimit 0 generic, 1 avx2, 2 avx512 (the best the CPU has is used at most).
napi_value Configure(napi_env env, napi_callback_info info) {
  Args args(env, info, 2);
  const int64_t threads = args.i64(0), isa = args.i64(1);
  if (!args.ok()) return nullptr;
  if (threads < 1 || threads > 64 || isa < 0 || isa > 2) {
    args.fail("threads must be in [1, 64] and the ISA limit in [0, 2]");
    return nullptr;
  }
  ThreadPool::instance().set_threads(static_cast<int>(threads));
  set_isa_limit(static_cast<Isa>(isa));
  return Info(env, info);
}

// debugPoolStress(callers, iterations, resize, timeoutMs, delayUs) → wrong elements, or -1 for a stuck pass.
// Test support only (see ThreadPool in common.h); leaves the pool's thread count as the stress left it.
napi_value DebugPoolStress(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  const int64_t callers = args.i64(0), iterations = args.i64(1), timeout_ms = args.i64(3), delay_us = args.i64(4);
  const bool resize = args.flag(2);
  if (!args.ok()) return nullptr;
  if (callers < 1 || callers > 16 || iterations < 1 || timeout_ms < 1 || delay_us < 0 || delay_us > 100000) {
    args.fail("bad pool stress arguments");
    return nullptr;
  }
  ThreadPool::set_debug_delay_us(static_cast<int>(delay_us));
  const int64_t wrong = pool_stress(static_cast<int>(callers), static_cast<int>(iterations), resize, static_cast<int>(timeout_ms));
  ThreadPool::set_debug_delay_us(0);
  napi_value v;
  napi_create_int64(env, wrong, &v);
  return v;
}

// grains([copy, arith, transcend, rows, reduce, adam, gemm]) → the current grains (each 0 keeps its value).
// For bench/thresholds.mjs, which measures where splitting a kernel over threads starts to pay.
napi_value GrainsFn(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Grains& g = grains();
  int64_t* fields[] = {&g.copy, &g.arith, &g.transcend, &g.rows, &g.reduce, &g.adam, &g.gemm};
  static const char* names[] = {"copy", "arith", "transcend", "rows", "reduce", "adam", "gemm"};
  constexpr size_t kFields = sizeof(fields) / sizeof(fields[0]);
  if (argc >= 1) {
    const std::vector<int64_t> values = args.shape(0);
    if (!args.ok()) return nullptr;
    if (values.size() != kFields) {
      args.fail("grains takes an array of " + std::to_string(kFields) + " non-negative integers");
      return nullptr;
    }
    for (size_t i = 0; i < kFields; ++i)
      if (values[i] > 0) *fields[i] = values[i];
  }
  napi_value obj, v;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < kFields; ++i) {
    napi_create_int64(env, *fields[i], &v);
    napi_set_named_property(env, obj, names[i], v);
  }
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"segmentSum", nullptr, SegmentSum, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"stridedCopy", nullptr, StridedCopy, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"dropout", nullptr, Dropout, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"softmaxGrad", nullptr, SoftmaxGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"layerNormGrad", nullptr, LayerNormGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"gelu", nullptr, Gelu, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"geluGrad", nullptr, GeluGrad, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"adamInPlace", nullptr, carl::AdamInPlace, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"grains", nullptr, GrainsFn, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"debugPoolStress", nullptr, DebugPoolStress, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"configure", nullptr, Configure, nullptr, nullptr, nullptr, napi_default_method, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
