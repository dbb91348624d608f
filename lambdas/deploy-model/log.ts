import { createLogger } from '../shared/runtime';

/** The deploy-model function's logger (Powertools, Plinth's log fields: lambdas/shared/runtime.ts). */
export const logger = createLogger('plinth-deploy-model');
