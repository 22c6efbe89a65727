// Public API of @carl/core: backends, kernel fixes, fast ops, contracts, RNG and errors.
export { initBackend, currentBackend, parseBackendName, BACKEND_PREFERENCE } from './backend';
export type { BackendName, BackendInfo, SkippedBackend, InitBackendOptions } from './backend';
export { ensureBackend } from './ensure-backend';
export { matMul, dense } from './ops/matmul';
export { layerNorm, gelu, softmax, dropout, adamWUpdate, FUSED_KERNEL_NAMES } from './ops/fused';
export type { AdamWUpdateOptions } from './ops/fused';
export { dropoutMask, dropoutThreshold, lowbias32 } from './ops/dropout-mask';
export { CarlError, isCarlError } from './errors';
export type { CarlErrorCode, ErrorLocation } from './errors';
export { writeFileAtomic, filesystemError, fsyncPath } from './fs';
export { Random } from './random';
export type { RandomState } from './random';
export { va, toUnitRange, fromUnitRange, SAM_1_5, SCALE_1_9 } from './va';
export type { VA, LabeledText, RatingScale } from './va';
export type {
  Encoder,
  EncoderInputs,
  EncoderOutput,
  ForwardOptions,
  Tokenizer,
  TokenizedBatch,
  TokenMatrix,
  TokenGenerator,
  EncodeOptions,
  SpecialTokenIds,
} from './encoder';
export { toEncoderInputs, disposeInputs } from './inputs';
export { AdamW, namedGradients, clipByGlobalNorm, learningRateSchedule } from './optim';
export type { AdamWOptions, AdamWState, MomentLocation, ScheduleOptions } from './optim';
export { wasmHeapBytes, withWasmOomAsCarlError, WASM_HEAP_LIMIT_BYTES } from './memory';
export { GradientAccumulator } from './accumulate';
