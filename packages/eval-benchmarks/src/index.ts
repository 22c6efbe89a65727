// Public API of @carl/eval-benchmarks.
export {};
