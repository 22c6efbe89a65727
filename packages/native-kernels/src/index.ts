// Public API of @carl/native-kernels: register native kernels on tfjs's wasm backend, and the fused ops.
export { registerNativeKernels, unregisterNativeKernels, nativeKernelsStatus, NATIVE_KERNEL_NAMES } from './register';
export type { NativeKernelName, RegisterNativeKernelsOptions, NativeKernelsReport } from './register';
export { layerNorm, gelu, softmax, dropout, adamWUpdate } from './ops';
export type { AdamWUpdateOptions } from './ops';
export { dropoutMask } from './dropout-mask';
export { FUSED_KERNEL_NAMES } from './fused-kernels';
export type { NativeIsa } from './native';
