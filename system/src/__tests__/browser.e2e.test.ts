/**
 * The client's browser scenarios (client/e2e/scenarios.ts) against the whole system, booted like
 * `npm start` on free ports with a 20 s reservation window for the countdown scenario. Debian's
 * Chromium (/usr/bin/chromium, or CHROMIUM_PATH); screenshots go to artifacts/e2e.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Browser } from 'playwright-core';
import {
  countdownReachesZero,
  declinedCardKeepsOrderPayable,
  doubleClicksAndLostAnswersActOnce,
  headerShowsEmailOnFirstLoad,
  launchChromium,
  searchesAndPages,
  sellPurchaseAndPay,
  wrongPasswordShowsError,
  type CountdownScenarioOptions,
} from '../../../client/e2e/scenarios';
import { startAnswerDroppingProxy } from '../answer-dropping-proxy';
import { repoRoot } from '../routes';
import { startSystem, type RunningSystem } from '../system';

const artifacts = path.join(repoRoot, 'artifacts');
let system: RunningSystem;
let browser: Browser;
let options: CountdownScenarioOptions;
let log: fs.WriteStream;

beforeAll(async () => {
  if (!fs.existsSync(path.join(repoRoot, 'client', '.next', 'BUILD_ID'))) {
    throw new Error(
      'the client is not built: run `npm run build -w @ticketing/client` (the system test script does)',
    );
  }
  fs.mkdirSync(artifacts, { recursive: true });
  log = fs.createWriteStream(path.join(artifacts, 'system-browser.log'));
  system = await startSystem({
    ephemeral: true,
    gatewayPort: 0,
    gatewayHost: '127.0.0.1',
    env: { ...process.env, EXPIRATION_WINDOW_SECONDS: '20', SCRYPT_N: '1024' },
    log: (line) => log.write(`${line}\n`),
  });
  browser = await launchChromium();
  options = {
    baseUrl: system.gatewayUrl,
    browser,
    artifactsDir: path.join(artifacts, 'e2e'),
    expiryTimeoutMs: 60_000,
  };
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await new Promise((r) => log?.end(r));
}, 60_000);

describe('buying a ticket in a real browser, on the whole system', () => {
  // Each scenario resolves when it passed and throws with what it saw when it failed.
  it('A sells a ticket; B buys it with the good card and sees the order complete; the ticket leaves the home page', async () => {
    await expect(sellPurchaseAndPay(options)).resolves.toBeUndefined();
  });

  it('shows "Your card was declined" for a declined card and keeps the order payable', async () => {
    await expect(declinedCardKeepsOrderPayable(options)).resolves.toBeUndefined();
  });

  it('shows the error on the sign-in form for a wrong password', async () => {
    await expect(wrongPasswordShowsError(options)).resolves.toBeUndefined();
  });

  it('shows the order expired when the countdown reaches zero', async () => {
    await expect(countdownReachesZero(options)).resolves.toBeUndefined();
  });

  it("server-renders the signed-in user's email in the header of every page", async () => {
    await expect(headerShowsEmailOnFirstLoad(options)).resolves.toBeUndefined();
  });

  it('finds tickets with the search box and pages through them with Next and Previous, each page a shareable URL', async () => {
    await expect(searchesAndPages(options)).resolves.toBeUndefined();
  });

  it('makes one ticket, one order and one charge when Sell and Pay are double-clicked and answers are lost', async () => {
    const posts = ['/api/tickets', '/api/orders', '/api/payments'];
    const proxy = await startAnswerDroppingProxy(system.gatewayUrl, posts);
    const title = `Act once ${Date.now().toString(36)}`;
    try {
      await expect(
        doubleClicksAndLostAnswersActOnce({ ...options, baseUrl: proxy.url, title }),
      ).resolves.toBeUndefined();
    } finally {
      await proxy.close();
    }

    // Each lost answer was asked for again with its key, and the service replayed it.
    for (const path of posts) {
      const lost = proxy.posts.find((p) => p.path === path && p.dropped);
      expect(lost).toMatchObject({ status: 201, idempotencyKey: expect.any(String) });
      const retries = proxy.posts.filter((p) => p.idempotencyKey === lost!.idempotencyKey && !p.dropped);
      expect(retries).toEqual([{ ...lost, replayed: true, dropped: false }]);
    }
    const ticketIds = await query<{ id: string }>('tickets', 'select id from tickets where title = $1', [
      title,
    ]);
    expect(ticketIds).toHaveLength(1);
    const orderRows = await query<{ id: string; status: string }>(
      'orders',
      'select id, status from orders where ticket_id = $1',
      [ticketIds[0]!.id],
    );
    expect(orderRows.map((o) => o.status)).toEqual(['complete']);
    // The sandbox charges once per attempt: one attempt is one charge.
    const attempts = await query<{ status: string }>(
      'payments',
      'select status from payments where order_id = $1',
      [orderRows[0]!.id],
    );
    expect(attempts).toEqual([{ status: 'succeeded' }]);
  });
});

/** Rows of one query on a service's database. */
async function query<R>(database: string, text: string, values: unknown[]): Promise<R[]> {
  const client = new Client({ connectionString: system.postgresUrl(database) });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end();
  }
}
