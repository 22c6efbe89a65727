// Public API of @carl/va-labeling: rating scales, category centroids, lexicon weak labels and VA geometry.
export { defineScale, toUnit, fromUnit, vaToUnit, vaFromUnit, SAM_1_5, SCALE_1_9, AFINN_SCALE, UNIT_SCALE } from './scales';
export type { RawVA } from './scales';
export type { RatingScale, VA, LabeledText } from '@carl/core';
export {
  vaDistance,
  vaDistanceMatrix,
  gaussianKernel,
  softmaxKernel,
  linearKernel,
  labelSimilarityMatrix,
  vaQuadrant,
  vaQuadrantIndex,
  VA_QUADRANTS,
  binVA,
} from './geometry';
export type { VAMetric, AxisWeights, DistanceOptions, LabelKernel, VABatch, SimilarityOptions, VAQuadrant, QuadrantOptions, BinOptions, VABin } from './geometry';
export { loadWarrinerNorms, loadWordNorms, afinnNorms, wordNorms, WARRINER_FILE } from './norms';
export type { WordNorms, NormEntry, WordNormsTableOptions } from './norms';
export { lexiconVA } from './lexicon';
export type { LexiconOptions, LexiconEstimate, LexiconMatch } from './lexicon';
export { categoryCentroids, centroidsFor, centroidsFromCorpus, labelsToVA, withCentroidVA, SCHEME_LABELS } from './centroids';
export type { CategoryScheme, CategoryCentroids, CentroidProvenance, CategoryCentroidOptions, CorpusCentroidOptions } from './centroids';
