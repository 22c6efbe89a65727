// The corpora lookup lives in @carl/core/testing (one copy for every package); these names stay for the
// trainer's tests that import them.
export { realDataDir as testDataDir, describeWithData } from '@carl/core/testing';
