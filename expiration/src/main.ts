// First: tracing must be registered before http, express and pg load.
import './tracing';
import { runService } from '@ticketing/common';
import { expirationService } from './service';

// Composition root: config, database, NATS, relay (which publishes the scheduled expiries), consumers, HTTP.
runService(expirationService);
