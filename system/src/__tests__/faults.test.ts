/**
 * The fault tools on real processes: signals to any process, and a network partition between the
 * nodes of a local NATS cluster (as root with nft; skipped with the reason otherwise).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { connectNats, ensureStream, silentLogger, streamLeader } from '@ticketing/common';
import { startLocalNatsCluster, type LocalNatsCluster } from '@ticketing/common/local';
import { partitionNode, partitionUnavailable, signalProcess } from '../faults';
import { eventually } from '../user';

type NatsConnection = Awaited<ReturnType<typeof connectNats>>;

function processState(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
}

describe('signalProcess', () => {
  it('freezes a process with SIGSTOP, lets it run with SIGCONT and kills it with SIGKILL', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid!;
    await signalProcess(pid, 'SIGSTOP');
    await eventually('stopped', async () => (processState(pid) === 'T' ? true : undefined));
    await signalProcess(pid, 'SIGCONT');
    await eventually('running', async () => (processState(pid) !== 'T' ? true : undefined));
    const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
    await signalProcess(pid, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
  });
});

const noPartition = partitionUnavailable();
(noPartition ? describe.skip : describe)('partitionNode', () => {
  let cluster: LocalNatsCluster;
  let all: NatsConnection;

  beforeAll(async () => {
    cluster = await startLocalNatsCluster({ uids: [64291, 64292, 64293] });
    all = await connectNats({ servers: cluster.url, logger: silentLogger() });
    await eventually('the stream on three replicas', () => ensureStream(all, { replicas: 3 }), 60_000, 250);
  }, 90_000);

  afterAll(async () => {
    await all?.close();
    await cluster?.stop();
  });

  it('cuts the stream leader off from its peers, which elect another, until healed', async () => {
    const leaderName = await streamLeader(all);
    const leader = cluster.nodes.find((n) => n.name === leaderName)!;
    const peers = cluster.nodes.filter((n) => n !== leader);
    const majority = await connectNats({
      servers: peers.map((n) => n.url).join(','),
      logger: silentLogger(),
    });
    const isolated = await connectNats({ servers: leader.url, logger: silentLogger() });
    try {
      const partition = await partitionNode(cluster, leader);
      try {
        const elected = await eventually(
          'a new leader on the majority side',
          async () => {
            const name = await streamLeader(majority);
            return name && name !== leader.name ? name : undefined;
          },
          60_000,
          250,
        );
        expect(peers.map((n) => n.name)).toContain(elected);
      } finally {
        await partition.heal();
      }
      // Healed, the old leader rejoins and learns the new one.
      const seen = await eventually(
        'the old leader following',
        async () => {
          const name = await streamLeader(isolated);
          return name && name !== leader.name ? name : undefined;
        },
        60_000,
        250,
      );
      expect(peers.map((n) => n.name)).toContain(seen);
    } finally {
      await Promise.all([majority.close(), isolated.close()]);
    }
  });
});

if (noPartition) console.warn(`partitionNode tests skipped: ${noPartition}`);
