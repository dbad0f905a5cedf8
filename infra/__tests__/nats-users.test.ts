import fs from 'node:fs';
import path from 'node:path';
import {
  natsAuthorization,
  natsServiceUsers,
  natsUsers,
  passwordEnvVar,
  passwordValue,
} from '@ticketing/common';
import { containerEnv } from '../src/env';
import { find, render } from '../src/kustomize';
import { infraDir, overlays, services } from '../src/paths';

describe.each([...overlays])('NATS users in overlay %s', (overlay) => {
  const manifests = render(`overlays/${overlay}`);

  it.each(natsServiceUsers())(
    'connects %s as its own NATS user, with its password from nats-users',
    (svc) => {
      const env = containerEnv(manifests, find(manifests, 'Deployment', svc));

      expect(env.get('NATS_USER')).toEqual({ from: 'value', value: svc });
      expect(env.get('NATS_PASSWORD')).toEqual({
        from: 'secret',
        name: 'nats-users',
        key: svc,
        optional: false,
      });
    },
  );

  it('gives the services with nothing on the bus (auth) and the client no NATS credentials', () => {
    const others = [...services, 'client'].filter((s) => !natsServiceUsers().includes(s as never));
    for (const name of others) {
      const env = containerEnv(manifests, find(manifests, 'Deployment', name));
      expect([name, env.has('NATS_USER'), env.has('NATS_PASSWORD')]).toEqual([name, false, false]);
    }
  });

  it('gives nats-server every user password that auth.conf reads', () => {
    const env = containerEnv(manifests, find(manifests, 'StatefulSet', 'nats'));

    for (const user of natsUsers()) {
      expect(env.get(passwordEnvVar(user))).toEqual({
        from: 'secret',
        name: 'nats-users',
        key: user,
        optional: false,
      });
    }
  });

  it('runs the admin step as a Job with the admin password, the only workload that has it', () => {
    const job = find(manifests, 'Job', 'nats-setup');
    const env = containerEnv(manifests, job);

    expect(env.get('NATS_USER')).toEqual({ from: 'value', value: 'admin' });
    expect(env.get('NATS_PASSWORD')).toEqual({
      from: 'secret',
      name: 'nats-users',
      key: 'admin',
      optional: false,
    });
    const others = manifests
      .filter((m) => ['Deployment', 'StatefulSet'].includes(m.kind))
      .flatMap((m) => m.spec.template.spec.containers)
      .flatMap(
        (c: { env?: { valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }) => c.env ?? [],
      )
      .filter(
        (e) => e.valueFrom?.secretKeyRef?.name === 'nats-users' && e.valueFrom.secretKeyRef.key === 'admin',
      );
    // nats-server itself reads it to check logins; no service does.
    expect(others).toHaveLength(1);
  });
});

it('configures nats-server with the authorization generated from the catalog', () => {
  const conf = fs.readFileSync(path.join(infraDir, 'k8s/base/nats/auth.conf'), 'utf8');

  expect(conf).toContain(natsAuthorization({ password: (u) => passwordValue.env(passwordEnvVar(u)) }));
});
