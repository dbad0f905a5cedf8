/**
 * Fault tools for the whole-system tests: signals to any process (kill -9, SIGSTOP, SIGCONT) and a
 * real network partition between the nodes of a local NATS cluster (common's `partitionNode`:
 * packets dropped by nftables, needs root and `nft`).
 */
export { partitionNode, partitionUnavailable, type Partition } from '@ticketing/common/local';

/**
 * Sends `signal` to the process `pid`; for SIGKILL and SIGTERM waits until it has gone (or
 * `timeoutMs`). SIGSTOP freezes it with its sockets open; SIGCONT lets it run again.
 */
export async function signalProcess(pid: number, signal: NodeJS.Signals, timeoutMs = 20_000): Promise<void> {
  process.kill(pid, signal);
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM') return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`process ${pid} was still running ${timeoutMs} ms after ${signal}`);
}
