import { structuredLog } from '../shared/structured-log';

export type { LogLevel } from '../shared/structured-log';

/** The deploy-model function's logs. */
export const { log, logger, setOutput: setLogOutput } = structuredLog('plinth-deploy-model');

