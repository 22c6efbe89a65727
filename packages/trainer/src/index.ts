// Public API of @carl/trainer.
export {};
