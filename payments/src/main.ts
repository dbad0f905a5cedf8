import { runService } from '@ticketing/common';
import { paymentsService } from './service';

// Composition root: config, database, NATS, the order replica's consumers, the relay of payment.created, HTTP.
runService(paymentsService);
