import { startTracing } from '@ticketing/common/telemetry';

// Imported first by main.ts: the http, express and pg instrumentations patch those modules as they load.
startTracing({ service: 'auth' });
