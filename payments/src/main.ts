// First: tracing must be registered before http, express and pg load.
import './tracing';
import { runService } from '@ticketing/common';
import { paymentsService } from './service';

// Composition root: config, database, NATS, the order replica's consumers, the relay of payment.created, HTTP.
runService(paymentsService);
