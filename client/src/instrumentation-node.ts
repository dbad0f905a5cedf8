import { startTracing } from '@ticketing/common/telemetry';

// Next makes the server, render and fetch spans itself: no module patching here, only the
// provider, context and W3C propagation (OTEL_EXPORTER_OTLP_ENDPOINT or TRACES_DIR, as the services).
startTracing({ service: 'client', instrument: false });
