import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findNatsServer, NatsServerNotFoundError, startLocalNatsServer } from '../nats-server';
import { freePort } from '../ports';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('startLocalNatsServer', () => {
  it('survives kill -9 and restarts on the same port with the same store', async () => {
    const nats = await startLocalNatsServer();
    try {
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
      const pid = nats.pid();
      await nats.kill();
      expect(nats.pid()).toBeUndefined();
      expect(await canConnect(nats.port)).toBe(false);
      await nats.restart();
      expect(await canConnect(nats.port)).toBe(true);
      expect(nats.pid()).not.toBe(pid);
      expect(fs.existsSync(path.join(nats.storeDir, 'jetstream'))).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(fs.existsSync(nats.storeDir)).toBe(false);
  });

  it('keeps a given store dir and uses the preferred port when it is free', async () => {
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-kept-'));
    const preferred = await freePort();
    const nats = await startLocalNatsServer({ storeDir, port: preferred });
    try {
      expect(nats.port).toBe(preferred);
    } finally {
      await nats.stop();
    }
    expect(fs.existsSync(path.join(storeDir, 'jetstream'))).toBe(true);
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it('says in one line how to get nats-server when it cannot be found', async () => {
    const env = { PATH: '/nonexistent' };
    expect(findNatsServer(env, [])).toBeUndefined();
    const started = startLocalNatsServer({ env, searchDirs: [], alternative: 'set NATS_URL' });
    await expect(started).rejects.toBeInstanceOf(NatsServerNotFoundError);
    await expect(started).rejects.toThrow(
      /^nats-server not found: .*apt-get install nats-server.*set NATS_URL$/,
    );
  });
});
