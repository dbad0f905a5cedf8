import { Router } from 'express';
import { cancelOrderRoute } from './cancel-order';
import type { OrdersContext } from './context';
import { createOrderRoute } from './create-order';
import { listOrdersRoute } from './list-orders';
import { showOrderRoute } from './show-order';

export type { OrdersContext } from './context';

/** Every route of orders. */
export function ordersRouter(context: OrdersContext): Router {
  return Router().use(
    createOrderRoute(context),
    listOrdersRoute(context),
    showOrderRoute(context),
    cancelOrderRoute(context),
  );
}
