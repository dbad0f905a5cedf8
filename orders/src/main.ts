import { runService } from '@ticketing/common';
import { ordersService } from './service';

// Composition root: config, database (migrated), NATS, relay, the four consumers, HTTP, graceful shutdown.
runService(ordersService);
