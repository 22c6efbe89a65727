// Public API of @carl/encoder.
export {};
