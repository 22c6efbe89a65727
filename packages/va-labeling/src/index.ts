// Public API of @carl/va-labeling.
export {};
