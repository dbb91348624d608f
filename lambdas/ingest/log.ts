import { structuredLog } from '../shared/structured-log';

export type { LogLevel } from '../shared/structured-log';

/** The ingest function's logs and EMF lines (metrics.ts writes through writeLine). */
export const { log, logger, writeLine, setOutput } = structuredLog('plinth-ingest');
