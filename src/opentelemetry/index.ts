export type { InstrumentWebhooksOptions } from './instrument.js';
export { instrumentWebhooks } from './instrument.js';
