// The one embedding loop lives in @carl/encoder (it works with any core Encoder); the trainer re-exports it.
export { embedTexts } from '@carl/encoder';
export type { EmbedTextsOptions } from '@carl/encoder';
