/**
 * The tool's own telemetry through the OpenTelemetry SDK: every loop tick (lib/loop.ts) is a span
 * and counts in tenantscope_cycles_total / tenantscope_cycle_duration_seconds. The OTel Prometheus exporter does not start
 * its own server here: its text is appended to prom-client's on our one /metrics endpoint. When the
 * standard OTEL_* variables ask for OTLP, the NodeSDK exports traces (and metrics) there too.
 */
import { createRequire } from 'node:module';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { trace, metrics, type Tracer, type Meter } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * @opentelemetry/sdk-node pulls in every OTLP exporter (gRPC, protobuf, HTTP): memory that a
 * collector without OTLP never uses; it is loaded only when OTEL_* asks for OTLP. A synchronous
 * require (the package is CommonJS) keeps createTelemetry() synchronous, so the first loop ticks
 * already report through the SDK.
 */
const loadNodeSdk = (): typeof import('@opentelemetry/sdk-node') => createRequire(import.meta.url)('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');

export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** the OTel metrics in Prometheus text format, to append to the /metrics body */
  renderMetrics(): Promise<string>;
  readonly otlp: boolean;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  serviceName?: string;
  env?: NodeJS.ProcessEnv;
}

/** OTLP only when the user asked for it: the SDK's default would be to send to localhost:4318 and log failures. */
export function otlpRequested(env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
      (env.OTEL_TRACES_EXPORTER && env.OTEL_TRACES_EXPORTER !== 'none'),
  );
}

export function createTelemetry(opts: TelemetryOptions = {}): Telemetry {
  const env = opts.env ?? process.env;
  const serviceName = opts.serviceName ?? env.OTEL_SERVICE_NAME ?? 'tenantscope';
  // unref'd, never listening: we serve its text ourselves (preventServerStart)
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const otlp = otlpRequested(env);

  let sdk: NodeSDK | undefined;
  let tracer: Tracer;
  let meter: Meter;
  let meterProvider: MeterProvider | undefined;
  let tracerProvider: BasicTracerProvider | undefined;
  if (otlp) {
    sdk = new (loadNodeSdk().NodeSDK)({ resource, metricReader: exporter, serviceName, instrumentations: [] });
    sdk.start();
    // the SDK registered global providers from OTEL_* env; take ours from them
    tracer = trace.getTracer('tenantscope');
    meter = metrics.getMeter('tenantscope');
  } else {
    meterProvider = new MeterProvider({ resource, readers: [exporter] });
    tracerProvider = new BasicTracerProvider({ resource });
    // registered globally so every loop's ticks (lib/loop.ts) report through the API without plumbing;
    // only the composition root calls this
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    tracer = tracerProvider.getTracer('tenantscope');
    meter = meterProvider.getMeter('tenantscope');
  }

  return {
    tracer,
    meter,
    otlp,
    async renderMetrics() {
      const { resourceMetrics, errors } = await exporter.collect();
      if (errors.length > 0) return `# otel collection errors: ${errors.length}\n`;
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      if (sdk) await sdk.shutdown();
      if (meterProvider) await meterProvider.shutdown();
      if (tracerProvider) await tracerProvider.shutdown();
      trace.disable();
      metrics.disable();
    },
  };
}

