/** Test helpers: a private PostgreSQL and nats-server per run, never the machine's own. */
export * from './nats-server';
export * from './postgres';
export * from './test-database';
export * from './wait-for';
/** Throwaway CA and server certificate (openssl) for TLS tests: `createTestCertificates`. */
export * from './tls';
export * from './events';
export * from './session';
/** A test file's database + nats-server + consumers in one call: `startMessagingFixture`. */
export * from './messaging-fixture';
/** A service's `src/main.ts` run as its own process: `startMain`, `runMain`. */
export * from './process';
/** Request and error-shape helpers for HTTP tests: `sendRequest`, `expectErrorResponse`. */
export * from './http';
/** Responses checked against docs/openapi.yaml: `OpenApiResponseChecker`, `checkSupertestResponses`. */
export * from './openapi';
/** The plan of a query (EXPLAIN): `queryPlan`, to show a query uses its index. */
export * from './query-plan';
