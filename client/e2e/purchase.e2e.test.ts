/**
 * Runs the browser scenarios against a running system. Needs E2E_BASE_URL (the gateway, e.g.
 * http://localhost:3000) and fails, rather than skips, without it. E2E_ARTIFACTS_DIR (default
 * client/artifacts/e2e) receives the screenshots; E2E_EXPIRY_TIMEOUT_MS bounds the countdown
 * scenario, which needs the system started with a short EXPIRATION_WINDOW_SECONDS.
 *
 *   E2E_BASE_URL=http://localhost:3000 npx jest -c e2e/jest.config.js
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import {
  countdownReachesZero,
  declinedCardKeepsOrderPayable,
  headerShowsEmailOnFirstLoad,
  launchChromium,
  sellPurchaseAndPay,
  wrongPasswordShowsError,
  type CountdownScenarioOptions,
} from './scenarios';

const baseUrl = process.env.E2E_BASE_URL;
if (!baseUrl) {
  throw new Error('E2E_BASE_URL is not set: start the system and point E2E_BASE_URL at its gateway (e.g. http://localhost:3000).');
}

let browser: Browser;
let options: CountdownScenarioOptions;

beforeAll(async () => {
  browser = await launchChromium();
  options = {
    baseUrl,
    browser,
    artifactsDir: process.env.E2E_ARTIFACTS_DIR || path.resolve(__dirname, '..', 'artifacts', 'e2e'),
    expiryTimeoutMs: process.env.E2E_EXPIRY_TIMEOUT_MS ? Number(process.env.E2E_EXPIRY_TIMEOUT_MS) : undefined,
  };
});

afterAll(async () => {
  await browser?.close();
});

describe('buying a ticket in a real browser', () => {
  it('A sells a ticket; B buys it with the good card and sees the order complete; the ticket leaves the home page', () =>
    sellPurchaseAndPay(options));

  it('shows "Your card was declined" for a declined card and keeps the order payable', () => declinedCardKeepsOrderPayable(options));

  it('shows the error on the sign-in form for a wrong password', () => wrongPasswordShowsError(options));

  it('shows the order expired when the countdown reaches zero', () => countdownReachesZero(options));

  it("server-renders the signed-in user's email in the header of every page", () => headerShowsEmailOnFirstLoad(options));
});
