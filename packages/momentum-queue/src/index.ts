// Public API of @carl/momentum-queue.
export {};
