import crypto from 'node:crypto';
import { serviceCatalog, type ServiceName } from '../services/catalog';
import { durableName } from './consumer';
import { inboxPrefixOf, STREAM_NAME } from './nats';

/**
 * The one user allowed to create and update the event stream (`ticketing-nats setup`, run before
 * the services). Services can read the stream's info but never update, delete or purge it.
 */
export const NATS_ADMIN_USER = 'admin';

/** What a NATS user may publish and subscribe to (nats-server `permissions`, allow lists only). */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** The services that use NATS: those publishing or consuming something (auth uses none, so gets no user). */
export function natsServiceUsers(): ServiceName[] {
  return (Object.keys(serviceCatalog) as ServiceName[]).filter(
    (s) => serviceCatalog[s].publishes.length > 0 || serviceCatalog[s].consumes.length > 0,
  );
}

/** Every user of the generated configuration: the services on the bus, then the admin. */
export function natsUsers(): string[] {
  return [...natsServiceUsers(), NATS_ADMIN_USER];
}

/**
 * The narrowest permissions a service's relay and durable pull consumers need, from the catalog:
 * publish its own subjects; the JetStream API calls nats.js 3 makes for its own durables (create/
 * update are both CONSUMER.CREATE with the filter subject, info, next) and stream info; acks of its
 * own durables; replies only on its own inbox prefix (see `connectNats`).
 */
export function servicePermissions(service: ServiceName, stream = STREAM_NAME): NatsPermissions {
  const { publishes, consumes } = serviceCatalog[service];
  const api = '$JS.API';
  const publish: string[] = [...publishes, `${api}.INFO`, `${api}.STREAM.INFO.${stream}`];
  for (const subject of consumes) {
    const durable = durableName(service, subject);
    publish.push(
      `${api}.CONSUMER.CREATE.${stream}.${durable}.${subject}`,
      `${api}.CONSUMER.INFO.${stream}.${durable}`,
      `${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
    );
  }
  return { publish, subscribe: [`${inboxPrefixOf(service)}.>`] };
}

/** A user of `natsAuthorization`: `permissions` 'all' means no restriction (the admin, test-only users). */
export interface NatsUserEntry {
  user: string;
  /** The config value of the password: a quoted literal or an env reference (see `passwordValue`). */
  password: string;
  permissions: NatsPermissions | 'all';
}

/** A password as nats-server config text: a quoted literal, or `$NAME` read from the server's environment. */
export const passwordValue = {
  literal: (password: string) => JSON.stringify(password),
  env: (variable: string) => `$${variable}`,
};

/** The environment variable holding a NATS user's password for the server (Kubernetes Secrets). */
export function passwordEnvVar(user: string): string {
  return `NATS_PASSWORD_${user.toUpperCase()}`;
}

/** A random password for a generated configuration. */
export function randomNatsPassword(): string {
  return crypto.randomBytes(24).toString('hex');
}

/**
 * nats-server's `authorization { users = [...] }` block for the catalog's services and the admin
 * (plus `extraUsers`, e.g. a test-only user). With users defined, nats-server refuses anonymous
 * connections. Every environment (npm start, the tests' server, Kubernetes) uses this text.
 */
export function natsAuthorization(options: {
  /** The config value of each user's password (`passwordValue.literal(...)` or `passwordValue.env(...)`). */
  password: (user: string) => string;
  extraUsers?: NatsUserEntry[];
}): string {
  const users: NatsUserEntry[] = [
    ...natsServiceUsers().map((s) => ({
      user: s,
      password: options.password(s),
      permissions: servicePermissions(s),
    })),
    { user: NATS_ADMIN_USER, password: options.password(NATS_ADMIN_USER), permissions: 'all' as const },
    ...(options.extraUsers ?? []),
  ];
  const list = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;
  const lines = users.map((u) => {
    const head = `    { user: ${JSON.stringify(u.user)}, password: ${u.password}`;
    if (u.permissions === 'all') return `${head} }`;
    return (
      `${head}, permissions: {\n` +
      `        publish: { allow: ${list(u.permissions.publish)} }\n` +
      `        subscribe: { allow: ${list(u.permissions.subscribe)} }\n` +
      `    } }`
    );
  });
  return `# Generated from common/src/services/catalog.ts by natsAuthorization(): one user per service.\nauthorization {\n  users = [\n${lines.join('\n')}\n  ]\n}\n`;
}
