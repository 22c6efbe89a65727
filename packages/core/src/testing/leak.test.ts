import { describeWithBackends, expectNoTensorLeak } from './index';
import { createToyEncoder } from './toy-encoder';

describeWithBackends('createToyEncoder memory', () => {
  it('frees everything it made on dispose, clones included', () => {
    expectNoTensorLeak(() => {
      const enc = createToyEncoder({ words: ['a', 'b'], hiddenSize: 4, seed: 3 });
      const copy = enc.clone();
      copy.dispose();
      enc.dispose();
    });
  });
});
