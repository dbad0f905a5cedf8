/**
 * A user of the marketplace as the gateway sees one: real HTTP with the session cookie kept
 * between requests. Used by the system tests and the load generator.
 */

import { randomUUID } from 'node:crypto';
import type { ErrorBody, OrderResource, TicketResource } from '@ticketing/common';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  ms: number;
  /** The response's headers (none after a network error). */
  headers: Headers;
}

export type { ErrorBody };
export type Ticket = TicketResource;
export type Order = OrderResource;

/** One request's outcome, reported to an observer (the load generator's statistics). */
export interface RequestRecord {
  route: string;
  method: string;
  status: number;
  ms: number;
  error?: string;
}

export const PASSWORD = 'correct-horse-battery';

let counter = 0;
/** A unique email address. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export class User {
  private cookie = '';
  id = '';
  email = '';

  constructor(
    readonly baseUrl: string,
    private readonly observe?: (r: RequestRecord) => void,
  ) {}

  /**
   * Sends a request; `route` names it for statistics (e.g. `GET /api/tickets/:id`). Network errors
   * resolve with status 0.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    route = `${method} ${path}`,
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const started = performance.now();
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [name, value] = (pair ?? '').split('=');
        if (name?.trim() === 'session') this.cookie = value ? `session=${value}` : '';
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      const ms = performance.now() - started;
      this.observe?.({ route, method, status: res.status, ms });
      return { status: res.status, body: parsed as T, ms, headers: res.headers };
    } catch (err) {
      const ms = performance.now() - started;
      const error =
        err instanceof Error
          ? `${err.name}: ${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}`
          : String(err);
      this.observe?.({ route, method, status: 0, ms, error });
      return { status: 0, body: { errors: [{ message: error }] } as T, ms, headers: new Headers() };
    }
  }

  /**
   * The same signed-in user, its requests reported to `observe` instead (the load generator times
   * each arrival's requests apart).
   */
  withObserver(observe: (r: RequestRecord) => void): User {
    const view = new User(this.baseUrl, observe);
    view.cookie = this.cookie;
    view.id = this.id;
    view.email = this.email;
    return view;
  }

  async signUp(email = uniqueEmail()): Promise<this> {
    const res = await this.postSignUp(email);
    if (res.status !== 201)
      throw new Error(`sign-up of ${email} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return this;
  }

  /**
   * Signs up, trying again while the service answers 503 (its database or hashing queue briefly
   * unavailable). Each try uses a fresh address: a 503 does not say whether the account was made.
   */
  async signUpWhenAvailable(timeoutMs = 30_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const email = uniqueEmail();
      const res = await this.postSignUp(email);
      if (res.status === 201) return this;
      if (res.status !== 503 || Date.now() > deadline)
        throw new Error(`sign-up of ${email} answered ${res.status}: ${JSON.stringify(res.body)}`);
      await sleep(100);
    }
  }

  private async postSignUp(email: string) {
    const res = await this.request<{ id: string; email: string }>(
      'POST',
      '/api/users/signup',
      { email, password: PASSWORD },
      'POST /api/users/signup',
    );
    if (res.status === 201) {
      this.id = res.body.id;
      this.email = res.body.email;
    }
    return res;
  }

  createTicket(title: string, price: number) {
    return this.request<Ticket>('POST', '/api/tickets', { title, price }, 'POST /api/tickets');
  }

  updateTicket(id: string, title: string, price: number) {
    return this.request<Ticket>('PUT', `/api/tickets/${id}`, { title, price }, 'PUT /api/tickets/:id');
  }

  listTickets() {
    return this.request<Ticket[]>('GET', '/api/tickets', undefined, 'GET /api/tickets');
  }

  getTicket(id: string) {
    return this.request<Ticket>('GET', `/api/tickets/${id}`, undefined, 'GET /api/tickets/:id');
  }

  createOrder(ticketId: string) {
    return this.request<Order>('POST', '/api/orders', { ticketId }, 'POST /api/orders');
  }

  getOrder(id: string) {
    return this.request<Order>('GET', `/api/orders/${id}`, undefined, 'GET /api/orders/:id');
  }

  listOrders() {
    return this.request<Order[]>('GET', '/api/orders', undefined, 'GET /api/orders');
  }

  cancelOrder(id: string) {
    return this.request('DELETE', `/api/orders/${id}`, undefined, 'DELETE /api/orders/:id');
  }

  /** Pays once; `idempotencyKey` makes a retry of the same payment finish it rather than start another. */
  pay(orderId: string, token = 'tok_visa', idempotencyKey?: string) {
    return this.request<{ id: string }>(
      'POST',
      '/api/payments',
      { orderId, token },
      'POST /api/payments',
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    );
  }

  currentUser() {
    return this.request<{ currentUser: { id: string; email: string } | null }>(
      'GET',
      '/api/users/currentuser',
      undefined,
      'GET /api/users/currentuser',
    );
  }

  /**
   * Pays, retrying while the payments service has not yet heard of the order (404: its replica
   * lags the orders service by one event), is briefly unavailable (502/503/0), or still runs an
   * earlier try (409). Every try carries one Idempotency-Key, as the contract asks of a client that
   * retries: a try that failed after its attempt began (a 503 mid-payment) is finished by the next
   * one instead of refused as "in progress" or "already paid".
   */
  async payWhenKnown(
    orderId: string,
    token = 'tok_visa',
    timeoutMs = 30_000,
  ): Promise<ApiResponse<{ id: string }>> {
    const deadline = Date.now() + timeoutMs;
    const idempotencyKey = randomUUID();
    for (;;) {
      const res = await this.pay(orderId, token, idempotencyKey);
      const retry =
        res.status === 404 ||
        res.status === 409 ||
        res.status === 502 ||
        res.status === 503 ||
        res.status === 0;
      if (!retry || Date.now() > deadline) return res;
      await sleep(100);
    }
  }

  /**
   * Places an order, retrying while the orders service has not yet heard of the ticket (404: its
   * replica lags the tickets service by one event) or is briefly unavailable (502/503/0).
   */
  async createOrderWhenKnown(ticketId: string, timeoutMs = 30_000): Promise<ApiResponse<Order>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.createOrder(ticketId);
      const retry = res.status === 404 || res.status === 502 || res.status === 503 || res.status === 0;
      if (!retry || Date.now() > deadline) return res;
      await sleep(100);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await sleep(intervalMs);
  }
}
