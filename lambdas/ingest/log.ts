import { createLogger } from '../shared/runtime';

/** The ingest function's logger (Powertools; Plinth's log fields). */
export const logger = createLogger('plinth-ingest');
