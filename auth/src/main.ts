import { runService } from '@ticketing/common';
import { authService } from './service';

// Composition root: config, database (migrated), NATS, relay, consumers, HTTP, graceful shutdown.
runService(authService);
