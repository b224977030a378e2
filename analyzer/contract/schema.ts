/**
 * The contract schema as a value, for tests that validate output and for serving it.
 * Imported (not read from disk) so `tsc` copies the JSON into dist with the code that needs it.
 */
import schema from './analysis.schema.json' with { type: 'json' };

export const analysisSchema: Readonly<Record<string, unknown>> = schema;
