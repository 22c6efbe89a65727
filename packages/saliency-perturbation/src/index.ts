// Public API of @carl/saliency-perturbation: the token-level half of CARL (gradient-saliency
// perturbed-token detection). Depends only on @carl/core's Encoder contract.
export { tokenSaliency } from './saliency';
export type { SaliencyScore, SaliencyLoss, TokenSaliencyOptions, TokenSaliency, TokenSaliencyWithTensors } from './saliency';
export { candidateMask } from './matrix';
export type { TokenMatrix } from './matrix';
export { selectTokens, selectionSize } from './selection';
export type { SelectionMethod, SelectionBudget, SelectTokensOptions } from './selection';
export { perturbTokens } from './perturbation';
export type {
  PerturbationStrategy,
  TokenGenerator,
  PerturbTokensOptions,
  MaskPerturbationOptions,
  RandomPerturbationOptions,
  GeneratorPerturbationOptions,
  EmbeddingPerturbationOptions,
  IdPerturbation,
  EmbeddingPerturbation,
} from './perturbation';
export { perturbSalientTokens } from './salient-perturbation';
export type { PerturbationSpec, SalientPerturbationOptions, SalientPerturbation } from './salient-perturbation';
export { PerturbedTokenDetectionHead } from './detection-head';
export type { DetectionHeadOptions } from './detection-head';
export { perturbedTokenDetectionLoss, detectionMetrics } from './detection-loss';
export type { DetectionLossOptions, DetectionMetrics } from './detection-loss';
export { createSchedule } from './schedules';
export type { ScheduleSpec } from './schedules';
export { explainSaliency } from './explain';
export type { ExplainedToken, SaliencyExplanation, ExplainObjective, ExplainOptions } from './explain';
export { renderSaliencyHtml, renderSaliencySvg } from './render';
export { explanationPage } from './explain-page';
export type { ExplanationPageOptions } from './explain-page';
export type { RenderOptions, SvgRenderOptions } from './render';
