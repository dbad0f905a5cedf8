import fs from 'node:fs';
import net from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../../http/logger';
import { connectNats, ensureStream, streamLeader } from '../../messaging/nats';
import { waitFor } from '../../testing/wait-for';
import { startLocalNatsCluster, type LocalNatsCluster } from '../nats-cluster';

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The process state letter in /proc (T: stopped by a signal). */
function processState(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
}

describe('startLocalNatsCluster', () => {
  let cluster: LocalNatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    cluster = await startLocalNatsCluster();
    nc = await connectNats({ servers: cluster.url, logger: silentLogger() });
    // The cluster answers JetStream requests once it has elected its meta leader.
    await waitFor(() => ensureStream(nc, { replicas: 3 }).then(() => true), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: 'the stream on three replicas',
    });
  }, 90_000);

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('runs each node on its own loopback address, with a stream replicated on all three', async () => {
    expect(cluster.nodes.map((n) => n.host)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(cluster.url).toBe(cluster.nodes.map((n) => `nats://${n.host}:${n.port}`).join(','));
    const leader = await streamLeader(nc);
    expect(cluster.nodes.map((n) => n.name)).toContain(leader);
  });

  it('restarts a killed node on the same address, ports and store', async () => {
    const node = cluster.nodes[0]!;
    const pid = node.pid();
    await node.kill();
    expect(node.pid()).toBeUndefined();
    expect(await canConnect(node.host, node.port)).toBe(false);
    await node.restart();
    expect(node.pid()).not.toBe(pid);
    expect(await canConnect(node.host, node.port)).toBe(true);
    expect(await canConnect(node.host, node.clusterPort)).toBe(true);
    expect(fs.existsSync(`${node.storeDir}/jetstream`)).toBe(true);
  });

  it('freezes a node with SIGSTOP and lets it run again with SIGCONT', async () => {
    const node = cluster.nodes[1]!;
    const pid = node.pid()!;
    node.stop();
    await waitFor(() => processState(pid) === 'T', { what: 'the node stopped' });
    node.cont();
    await waitFor(() => processState(pid) !== 'T', { what: 'the node running again' });
    expect(node.pid()).toBe(pid);
  });
});
