// Public API of @carl/momentum-queue: an EMA target over any Encoder's variables and a labelled ring queue of keys.
export { MomentumTarget, DEFAULT_MOMENTUM } from './momentum-target';
export type { MomentumTargetOptions } from './momentum-target';
export { momentumSchedule } from './schedule';
export type { MomentumScheduleOptions } from './schedule';
export { LabeledQueue } from './labeled-queue';
export type { LabeledQueueOptions, LabeledQueueState, QueueSnapshot, SnapshotOptions } from './labeled-queue';
