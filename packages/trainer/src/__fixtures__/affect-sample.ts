import type { LabeledText } from '@carl/core';

/**
 * A small hand-written affect sample for tests that must always run (no corpus needed): 40 short
 * sentences with valence and arousal in [−1, 1], rated by hand on Russell's circumplex, in two
 * "corpora" so mixing is exercised.
 */
const RATED: ReadonlyArray<readonly [string, number, number]> = [
  ['i am so happy today', 0.8, 0.5],
  ['what a wonderful surprise party', 0.8, 0.8],
  ['we won the final match', 0.9, 0.9],
  ['this is the best day of my life', 0.9, 0.7],
  ['i love this song so much', 0.8, 0.5],
  ['the kids laughed and danced all night', 0.7, 0.8],
  ['she was thrilled by the good news', 0.8, 0.8],
  ['such a lovely calm evening', 0.6, -0.6],
  ['the lake was peaceful and quiet', 0.5, -0.7],
  ['i feel relaxed after the warm bath', 0.6, -0.6],
  ['a gentle breeze and a good book', 0.5, -0.5],
  ['he smiled softly and fell asleep', 0.4, -0.6],
  ['i am content with my quiet life', 0.5, -0.5],
  ['the tea was warm and pleasant', 0.4, -0.4],
  ['i am furious about this awful mess', -0.8, 0.8],
  ['he screamed in anger at the driver', -0.8, 0.9],
  ['the attack left everyone terrified', -0.9, 0.9],
  ['i hate waiting in this loud crowd', -0.6, 0.6],
  ['she panicked when the fire alarm rang', -0.7, 0.9],
  ['they were outraged by the cruel decision', -0.8, 0.7],
  ['the news of the crash was horrible', -0.8, 0.6],
  ['i feel sad and tired today', -0.6, -0.5],
  ['he sat alone in the empty room', -0.5, -0.6],
  ['the rainy day made me gloomy', -0.5, -0.4],
  ['she missed her old friends', -0.5, -0.3],
  ['i am bored and lonely', -0.5, -0.6],
  ['the funeral was quiet and sad', -0.7, -0.4],
  ['nothing good happened this week', -0.5, -0.3],
  ['the meeting is at ten', 0, -0.2],
  ['the report has four pages', 0, -0.3],
  ['the train leaves from platform two', 0, -0.1],
  ['we bought milk and bread', 0.1, -0.3],
  ['the box is on the table', 0, -0.4],
  ['i love the happy quiet morning', 0.7, -0.2],
  ['the awful storm made me angry', -0.7, 0.6],
  ['a calm sad song played', -0.3, -0.6],
  ['the party was loud and wonderful', 0.7, 0.8],
  ['my friends cheered for the good news', 0.8, 0.7],
  ['the crowd was angry and loud', -0.6, 0.8],
  ['it was a tired and empty day', -0.5, -0.5],
];

export const AFFECT_SAMPLE: readonly LabeledText[] = RATED.map(([text, valence, arousal], i) => ({
  id: String(i),
  text,
  va: { valence, arousal },
  source: i % 4 === 3 ? 'sample-b' : 'sample-a',
}));

/** Every word of the sample (the toy tokenizer's vocabulary). */
export const SAMPLE_WORDS: readonly string[] = [...new Set(RATED.flatMap(([text]) => text.split(' ')))].sort();
