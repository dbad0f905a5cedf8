import type { RouteContext } from '@ticketing/common';
import type { Config } from '../config';

/** What orders' routes get: common's route context (orders has no dependencies hook). */
export type OrdersContext = RouteContext<Config>;
