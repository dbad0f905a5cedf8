// First: tracing must be registered before http, express and pg load.
import './tracing';
import { runService } from '@ticketing/common';
import { ticketsService } from './service';

// Composition root: config, database (migrated), NATS, relay, consumers, HTTP, graceful shutdown.
runService(ticketsService);
