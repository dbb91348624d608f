import { createLogger } from '../shared/runtime';

export { describeError } from '../shared/runtime';

/**
 * The gateway's logger (Powertools, Plinth's log fields). Callers never log feature values (they
 * may be personal data): only field names, rules and error kinds.
 */
export const logger = createLogger('plinth-infer');
