// Public API of @carl/native-kernels: register native kernels on tfjs's wasm backend. The fused ops that
// use them (layerNorm, gelu, softmax, dropout, adamWUpdate) live in @carl/core and fall back to stock
// tfjs ops when this package is absent.
export { registerNativeKernels, unregisterNativeKernels, nativeKernelsStatus, NATIVE_KERNEL_NAMES } from './register';
export type { NativeKernelName, RegisterNativeKernelsOptions, NativeKernelsReport } from './register';
export type { NativeIsa } from './native';
