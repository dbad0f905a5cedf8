import { runService } from '@ticketing/common';
import { ticketsService } from './service';

// Composition root: config, database (migrated), NATS, relay, consumers, HTTP, graceful shutdown.
runService(ticketsService);
