/**
 * NATS for the local system: `NATS_URL` when given, otherwise common's local nats-server with its
 * JetStream store under `.data/nats` (kept across restarts).
 */
import { startLocalNatsServer, type LocalNatsServer } from '@ticketing/common/local';
import type { LogSink } from './log';

export { NatsServerNotFoundError } from '@ticketing/common/local';

/** The system's NATS: common's local nats-server, or the one at NATS_URL (`owned: false`: kill/restart then throw). */
export type NatsHandle = Pick<LocalNatsServer, 'url' | 'pid' | 'kill' | 'restart' | 'stop'> & {
  owned: boolean;
};

/** Uses `url` when given; otherwise starts nats-server (on `port` when free) with its store in `storeDir`. */
export async function startNats(options: {
  url?: string;
  storeDir: string;
  /** Preferred port (any free port when taken). Default: any free port. */
  port?: number;
  log: LogSink;
  env?: NodeJS.ProcessEnv;
  /** Where to look besides PATH (default /usr/sbin, /usr/local/bin). */
  searchDirs?: string[];
}): Promise<NatsHandle> {
  if (options.url) {
    const notOwned = () => Promise.reject(new Error('NATS_URL points at a server this system does not own'));
    return {
      url: options.url,
      owned: false,
      pid: () => undefined,
      kill: notOwned,
      restart: notOwned,
      stop: async () => undefined,
    };
  }
  const verbose = (options.env ?? process.env).LOG_LEVEL === 'debug';
  const server = await startLocalNatsServer({
    storeDir: options.storeDir,
    port: options.port,
    env: options.env,
    searchDirs: options.searchDirs,
    // Its own process group: Ctrl-C in the terminal reaches the system, which stops nats-server last.
    detached: true,
    alternative: 'set NATS_URL to a running server with JetStream',
    log: (line) => {
      // The start-up banner is two dozen [INF] lines: show warnings, errors and the ready line.
      if (verbose || !line.includes('[INF]') || /Server is ready|Listening for client/.test(line))
        options.log(`[nats] ${line}`);
    },
  });
  return { ...server, owned: true };
}
