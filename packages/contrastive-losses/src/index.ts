// Public API of @carl/contrastive-losses: pure functions of tensors and labels (no encoder, no queue).
export { infoNCE, INFO_NCE_TEMPERATURE } from './info-nce';
export type { InfoNCEOptions } from './info-nce';
export { supCon, SUPERVISED_TEMPERATURE } from './sup-con';
export type { SupConOptions } from './sup-con';
export { softContrastiveLoss, LABEL_TEMPERATURE } from './soft-contrastive';
export type { SoftContrastiveOptions, SoftTargets, SelfPositive } from './soft-contrastive';
export { weightedSupCon, WEIGHTED_SUPCON_BANDWIDTH } from './weighted-sup-con';
export type { WeightedSupConOptions } from './weighted-sup-con';
export { rankNContrast } from './rank-n-contrast';
export type { RankNContrastOptions } from './rank-n-contrast';
export { alignment, uniformity } from './metrics';
export type { AlignmentOptions, UniformityOptions } from './metrics';
export { sameIdMask } from './masks';
export { l2Normalize } from './candidates';
export type {
  CandidateMask,
  CandidateOptions,
  ContinuousLabels,
  ContrastiveLossResult,
  DiscreteLabels,
  LabelDistanceOptions,
  SimilaritySource,
} from './types';
