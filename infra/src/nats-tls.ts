import { natsClients } from './network-flows';

/** The Secret cert-manager writes the NATS nodes' certificate into (tls.crt, tls.key, ca.crt). */
export const NATS_TLS_SECRET = 'nats-server-tls';
/** Where that Secret is mounted, in the NATS pods (all three files) and in its clients (ca.crt only). */
export const NATS_TLS_DIR = '/etc/nats-tls';
/** NATS_CA_FILE of the clients in prod. */
export const NATS_CA_FILE = `${NATS_TLS_DIR}/ca.crt`;

/** The workloads that connect to NATS: the services with events (catalog) and the nats-setup Job. */
export const natsTlsClients: { kind: 'Deployment' | 'Job'; name: string }[] = [
  ...natsClients.map((name) => ({ kind: 'Deployment' as const, name })),
  { kind: 'Job', name: 'nats-setup' },
];

/**
 * The prod patches that make every NATS client verify the servers' certificate: NATS_CA_FILE and the
 * CA mounted from the server certificate's Secret. Only ca.crt is projected: a client never sees
 * the servers' private key.
 */
export function natsTlsClientPatches(): object[] {
  return natsTlsClients.map(({ kind, name }) => ({
    apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name,
              env: [{ name: 'NATS_CA_FILE', value: NATS_CA_FILE }],
              volumeMounts: [{ name: 'nats-ca', mountPath: NATS_TLS_DIR, readOnly: true }],
            },
          ],
          volumes: [
            {
              name: 'nats-ca',
              secret: { secretName: NATS_TLS_SECRET, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
            },
          ],
        },
      },
    },
  }));
}
