// Public API of @carl/contrastive-losses.
export {};
