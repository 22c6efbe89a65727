// Public API of @carl/core: backends, kernel fixes, fast ops, contracts, RNG and errors.
export { initBackend, currentBackend, parseBackendName, describeLoadFailure, BACKEND_PREFERENCE } from './backend';
export type { BackendName, BackendInfo, SkippedBackend, InitBackendOptions } from './backend';
export { registerKernelFixes } from './kernels/register';
export { unsortedSegmentSumValues } from './kernels/unsorted-segment-sum';
export { matMul, dense } from './ops/matmul';
export { layerNorm, gelu, softmax, dropout, adamWUpdate, FUSED_KERNEL_NAMES } from './ops/fused';
export type { AdamWUpdateOptions } from './ops/fused';
export { dropoutMask, dropoutThreshold, lowbias32 } from './ops/dropout-mask';
export { CarlError, isCarlError } from './errors';
export type { CarlErrorCode, ErrorLocation } from './errors';
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
  EncodeOptions,
  SpecialTokenIds,
} from './encoder';
export { toEncoderInputs, disposeInputs } from './inputs';
export { AdamW, namedGradients, clipByGlobalNorm, learningRateSchedule } from './optim';
export type { AdamWOptions, AdamWState, ScheduleOptions } from './optim';
