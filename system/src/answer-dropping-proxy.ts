import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy passed on, and what became of its answer. */
export interface ProxiedPost {
  path: string;
  idempotencyKey?: string;
  status: number;
  replayed: boolean;
  /** The service answered, but the proxy cut the connection before the answer reached the browser. */
  dropped: boolean;
}

/** A proxy in front of the gateway that loses chosen answers on the way back. */
export interface AnswerDroppingProxy {
  url: string;
  /** Every POST it passed on, in the order the answers came back. */
  posts: ProxiedPost[];
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` that passes everything through, except that for each path in
 * `paths` it loses the first successful (2xx) answer to a POST: the service has acted, then the
 * proxy sends the status line and headers and cuts the connection before the body, as a network
 * that fails mid-answer would. (Sending nothing at all would let the browser resend the request on
 * its own on a reused connection; a started answer it never resends, so only the page's code can
 * retry.)
 */
export async function startAnswerDroppingProxy(
  target: string,
  paths: readonly string[],
): Promise<AnswerDroppingProxy> {
  const upstream = new URL(target);
  const posts: ProxiedPost[] = [];
  const toDrop = new Set(paths);
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        const path = (req.url ?? '').split('?')[0]!;
        const drop = req.method === 'POST' && status < 300 && toDrop.delete(path);
        if (req.method === 'POST') {
          posts.push({
            path,
            idempotencyKey: req.headers['idempotency-key'] as string | undefined,
            status,
            replayed: answer.headers['idempotent-replayed'] === 'true',
            dropped: drop,
          });
        }
        res.writeHead(status, answer.headers);
        if (drop) {
          answer.resume();
          res.flushHeaders();
          // After the headers have left: the browser has started the answer, and gets no body.
          setImmediate(() => res.socket?.destroy());
          return;
        }
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
