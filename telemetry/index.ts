export { createTelemetry, otlpRequested } from './telemetry.js';
export type { Telemetry, TelemetryOptions } from './telemetry.js';
