import type { RouteContext } from '@ticketing/common';
import type { Config } from '../config';

/** What tickets' routes get: common's route context (tickets has no dependencies hook). */
export type TicketsContext = RouteContext<Config>;
