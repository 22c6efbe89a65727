// Public API of @carl/datasets.
export {};
