import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received. */
export interface FakeStripeRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  authorization?: string;
  params: URLSearchParams;
}

/**
 * How the fake takes refunds: `succeed` as Stripe does; `refuse` answers 500 (marked not to be
 * retried by the client) without refunding or remembering the key, like Stripe failing before it
 * started; `hold-answer` refunds and remembers the key, then never answers (the connection is
 * dropped when the fake closes), like an answer lost on its way.
 */
export type FakeRefundMode = 'succeed' | 'refuse' | 'hold-answer';

/**
 * A local HTTP server that plays Stripe's POST /v1/payment_intents (create + confirm) and
 * POST /v1/refunds (of a PaymentIntent it made, up to its amount).
 */
export interface FakeStripeServer {
  port: number;
  requests: FakeStripeRequest[];
  /** Changes how refunds not seen before are taken (replays of a key are answered as stored). */
  setRefundMode(mode: FakeRefundMode): void;
  /** PaymentIntents that took money (replays of an idempotency key are not counted). */
  succeededIntents(): number;
  /** Refunds made (replays of an idempotency key are not counted). */
  refunds(): { id: string; paymentIntent: string; amount: number; idempotencyKey?: string }[];
  close(): Promise<void>;
}

interface StoredResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const DECLINING = new Set(['pm_card_chargeDeclined', 'tok_chargeDeclined']);
/** Makes the fake answer 500 with Stripe-Should-Retry: false, an outcome the client cannot know. */
export const SERVER_ERROR_TOKEN = 'pm_card_fakeServerError';

function invalidRequest(message: string, code: string): StoredResponse {
  return { status: 400, body: { error: { type: 'invalid_request_error', code, message } } };
}

function respond(params: URLSearchParams): StoredResponse {
  const paymentMethod = params.get('payment_method') ?? params.get('payment_method_data[card][token]');
  if (paymentMethod === SERVER_ERROR_TOKEN) {
    return {
      status: 500,
      headers: { 'Stripe-Should-Retry': 'false' },
      body: { error: { type: 'api_error', message: 'An unknown error occurred' } },
    };
  }
  if (paymentMethod && DECLINING.has(paymentMethod)) {
    return {
      status: 402,
      body: {
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
        },
      },
    };
  }
  return {
    status: 200,
    body: {
      id: `pi_fake_${crypto.randomBytes(8).toString('hex')}`,
      object: 'payment_intent',
      amount: Number(params.get('amount')),
      currency: params.get('currency'),
      status: 'succeeded',
    },
  };
}

/** How a test may step in. */
export interface FakeStripeOptions {
  /**
   * Awaited after a new PaymentIntent has taken the money and before its answer is sent: a test
   * can kill the caller there, when the charge is made but the caller never learns of it.
   */
  afterCharge?: (request: FakeStripeRequest) => Promise<void>;
}

/** Starts the fake on a free port; it replays the first response for a repeated idempotency key, like Stripe. */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripeServer> {
  const requests: FakeStripeRequest[] = [];
  const byKey = new Map<string, StoredResponse>();
  let succeeded = 0;
  /** Succeeded PaymentIntents: what each took and what has been refunded of it. */
  const intents = new Map<string, { amount: number; refunded: number }>();
  const refunds: { id: string; paymentIntent: string; amount: number; idempotencyKey?: string }[] = [];
  let refundMode: FakeRefundMode = 'succeed';

  function refund(params: URLSearchParams, idempotencyKey?: string): StoredResponse {
    const paymentIntent = params.get('payment_intent') ?? '';
    const intent = intents.get(paymentIntent);
    if (!intent) return invalidRequest(`No such payment_intent: '${paymentIntent}'`, 'resource_missing');
    const amount = params.has('amount') ? Number(params.get('amount')) : intent.amount - intent.refunded;
    if (!(amount > 0) || intent.refunded + amount > intent.amount) {
      return invalidRequest(
        `Refund amount (${amount}) is greater than unrefunded amount on charge`,
        'amount_too_large',
      );
    }
    intent.refunded += amount;
    const id = `re_fake_${crypto.randomBytes(8).toString('hex')}`;
    refunds.push({ id, paymentIntent, amount, idempotencyKey });
    return {
      status: 200,
      body: {
        id,
        object: 'refund',
        amount,
        currency: 'usd',
        payment_intent: paymentIntent,
        status: 'succeeded',
      },
    };
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      const params = new URLSearchParams(raw);
      const received: FakeStripeRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        idempotencyKey,
        authorization: req.headers.authorization,
        params,
      };
      requests.push(received);
      let reply: StoredResponse;
      let charged: Promise<void> | undefined;
      const route = req.method === 'POST' ? req.url : undefined;
      if (route !== '/v1/payment_intents' && route !== '/v1/refunds') {
        reply = {
          status: 404,
          body: { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } },
        };
      } else if (idempotencyKey && byKey.has(idempotencyKey)) {
        reply = byKey.get(idempotencyKey)!;
      } else if (route === '/v1/refunds') {
        if (refundMode === 'refuse') {
          reply = {
            status: 500,
            headers: { 'Stripe-Should-Retry': 'false' },
            body: { error: { type: 'api_error', message: 'The refund service is unavailable' } },
          };
        } else {
          reply = refund(params, idempotencyKey);
          if (idempotencyKey) byKey.set(idempotencyKey, reply);
          if (refundMode === 'hold-answer') return;
        }
      } else {
        reply = respond(params);
        if (idempotencyKey) byKey.set(idempotencyKey, reply);
        if (reply.status === 200) {
          succeeded += 1;
          const intent = reply.body as { id: string; amount: number };
          intents.set(intent.id, { amount: intent.amount, refunded: 0 });
          charged = options.afterCharge?.(received);
        }
      }
      const answer = () => {
        res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body));
      };
      if (charged) void charged.then(answer, answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    setRefundMode: (mode) => void (refundMode = mode),
    succeededIntents: () => succeeded,
    refunds: () => [...refunds],
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Held answers never come: their connections are dropped.
        server.closeAllConnections();
      }),
  };
}
