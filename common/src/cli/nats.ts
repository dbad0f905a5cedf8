#!/usr/bin/env node
/**
 * The NATS admin step, run before the services (npm start does it; Kubernetes runs it as the
 * nats-setup Job):
 *   ticketing-nats setup    creates the event stream, or updates it to the configured limits and
 *                           replicas (as NATS_USER, default admin: services cannot change it)
 *   ticketing-nats config   prints the authorization block with passwords read by nats-server from
 *                           NATS_PASSWORD_<USER> variables (the text of infra's nats.conf files)
 */
import { ConfigError, defineConfig, loadConfig } from '../config/config';
import { silentLogger } from '../http/logger';
import { connectNats, ensureStream, streamConfigSpec, streamSettingsFrom } from '../messaging/nats';
import { NATS_ADMIN_USER, natsAuthorization, passwordEnvVar, passwordValue } from '../messaging/nats-auth';

/** The variables of `ticketing-nats setup`. */
const natsSetupConfigSpec = defineConfig({
  NATS_URL: { doc: 'NATS server URL(s), comma-separated', type: 'string' },
  NATS_USER: { doc: 'The admin user', default: NATS_ADMIN_USER },
  NATS_PASSWORD: { doc: "The admin user's password", optional: true, secret: true },
  NATS_CA_FILE: { doc: "PEM file of the CA of NATS' certificate (TLS)", optional: true },
  ...streamConfigSpec,
});

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'config') {
    process.stdout.write(natsAuthorization({ password: (u) => passwordValue.env(passwordEnvVar(u)) }));
    return 0;
  }
  if (command !== 'setup') {
    process.stderr.write('usage: ticketing-nats setup | config\n');
    return 2;
  }
  const config = loadConfig(natsSetupConfigSpec, process.env);
  const nc = await connectNats({
    servers: config.NATS_URL,
    name: 'nats-setup',
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    caFile: config.NATS_CA_FILE,
    logger: silentLogger(),
  });
  try {
    await ensureStream(nc, streamSettingsFrom(config));
    process.stdout.write('event stream ready\n');
    return 0;
  } finally {
    await nc.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`ticketing-nats: ${message}\n`);
    process.exit(1);
  },
);
