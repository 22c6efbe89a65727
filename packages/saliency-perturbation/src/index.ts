// Public API of @carl/saliency-perturbation.
export {};
