/**
 * A real network partition between the nodes of a local NATS cluster (`startLocalNatsCluster`):
 * packets dropped by nftables, not a process stopped. It needs root and the `nft` command (Debian:
 * `apt-get install nftables`); `partitionUnavailable()` says why it cannot be made on this machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LocalNatsCluster, LocalNatsNode } from './nats-cluster';

function findNft(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  return dirs.map((d) => path.join(d, 'nft')).find((p) => fs.existsSync(p));
}

/** Why a partition cannot be made here (not root, no nft, nft refused), or undefined when it can. */
export function partitionUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'a network partition needs root (nftables rules)';
  const nft = findNft();
  if (!nft) return 'a network partition needs the nft command (Debian: apt-get install nftables)';
  try {
    execFileSync(nft, ['list', 'tables'], { stdio: 'pipe' });
  } catch (err) {
    return `nft cannot change this machine's rules: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/** A partition in force; `heal` removes it. */
export interface Partition {
  /** The isolated node. */
  node: LocalNatsNode;
  heal(): Promise<void>;
}

/** Runs nft with `args`, or with a ruleset `script` on its standard input when given. */
async function nft(args: string[], script?: string): Promise<void> {
  const bin = findNft();
  if (!bin) throw new Error('nft not found');
  await new Promise<void>((resolve, reject) => {
    const p = spawn(bin, script === undefined ? args : ['-f', '-'], {
      stdio: [script === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nft failed (${code}): ${err}`))));
    if (script !== undefined) {
      // nft may exit (refusing the script) before reading it all: that error is in its exit code.
      p.stdin!.on('error', () => undefined);
      p.stdin!.end(script);
    }
  });
}

/**
 * Cuts `node` off from the other nodes of `cluster`: every packet between it and them is dropped,
 * both ways, on connections already open and new ones. Clients keep reaching every node (a client
 * on the minority side, as in a real partition).
 *
 * On loopback every connection's source address is 127.0.0.1, so the node's own outgoing route
 * connections are recognised by the user id it runs as (`meta skuid`, see startLocalNatsCluster's
 * `uids`) and marked in conntrack, so that the answers on them are dropped too; connections to its
 * route port are recognised by address and port. Only this cluster's ports are matched: other
 * clusters on the machine are untouched.
 */
export async function partitionNode(cluster: LocalNatsCluster, node: LocalNatsNode): Promise<Partition> {
  const why = partitionUnavailable();
  if (why) throw new Error(why);
  if (node.uid === undefined)
    throw new Error(`node ${node.name} has no user id of its own: start the cluster as root with uids`);
  const peers = cluster.nodes.filter((n) => n !== node);
  const table = `ticketing_partition_${process.pid}_${node.name}_${crypto.randomBytes(3).toString('hex')}`;
  const mark = `0x${crypto.randomBytes(4).toString('hex')}`;
  const set = (values: (string | number)[]) => `{ ${values.join(', ')} }`;
  const script = [
    `table inet ${table} {`,
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    // The node's own connections to its peers' route ports: mark them, so both directions drop.
    `    meta skuid ${node.uid} ip daddr ${set(peers.map((p) => p.host))} tcp dport ${set(peers.map((p) => p.clusterPort))} ct mark set ${mark}`,
    `    ct mark ${mark} drop`,
    // The peers' connections to its route port, both directions.
    `    ip daddr ${node.host} tcp dport ${node.clusterPort} drop`,
    `    ip saddr ${node.host} tcp sport ${node.clusterPort} drop`,
    '  }',
    '}',
  ].join('\n');
  await nft([], script);
  let healed = false;
  // A test that dies mid-partition must not leave the machine's loopback cut.
  const healOnExit = () => {
    try {
      execFileSync(findNft()!, ['delete', 'table', 'inet', table], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  process.once('exit', healOnExit);
  return {
    node,
    async heal() {
      if (healed) return;
      healed = true;
      process.off('exit', healOnExit);
      await nft(['delete', 'table', 'inet', table]);
    },
  };
}
