// First: tracing must be registered before http, express and pg load.
import './tracing';
import { runService } from '@ticketing/common';
import { ordersService } from './service';

// Composition root: config, database (migrated), NATS, relay, the four consumers, HTTP, graceful shutdown.
runService(ordersService);
