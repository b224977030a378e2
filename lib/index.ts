export { TenantscopeError, ConfigError, SourceError, PayloadError, RequestError, StorageError, describeError, redactUrl } from './errors.js';
export type { ErrorCode, ConfigIssue } from './errors.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { createLogger, createMemoryLogger } from './log.js';
export type { Logger, Level, LoggerOptions } from './log.js';
export { createLoop } from './loop.js';
export type { Loop, LoopOptions } from './loop.js';
export { parseTimeArg, TIME_ARG_FORMS } from './time.js';
