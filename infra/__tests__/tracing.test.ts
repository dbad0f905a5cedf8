import YAML from 'yaml';
import { containerEnv } from '../src/env';
import { find, findGenerated, render, type Loose } from '../src/kustomize';
import { apps } from '../src/paths';

describe.each(['dev', 'dev-ingress-nginx'])('tracing in overlay %s (components/tracing)', (overlay) => {
  const manifests = render(`overlays/${overlay}`);
  const collectorConfig = YAML.parse(
    findGenerated(manifests, 'ConfigMap', 'otel-collector-config')!.data['config.yaml'],
  ) as Loose;

  it.each([...apps])('gives %s the collector as its OTLP endpoint', (app) => {
    const env = containerEnv(manifests, find(manifests, 'Deployment', app));
    expect(env.get('OTEL_EXPORTER_OTLP_ENDPOINT')).toEqual(
      expect.objectContaining({ from: 'configMap', key: 'OTEL_EXPORTER_OTLP_ENDPOINT' }),
    );
  });

  it("points the apps at the collector Service's OTLP/HTTP port, which its receiver listens on", () => {
    const cm = findGenerated(manifests, 'ConfigMap', 'ticketing-config')!;
    const endpoint = new URL(cm.data.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(endpoint.hostname).toBe('otel-collector');
    const port = find(manifests, 'Service', 'otel-collector').spec.ports.find(
      (p: Loose) => p.port === Number(endpoint.port),
    );
    expect(port?.targetPort).toBe('otlp-http');
    expect(collectorConfig.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${endpoint.port}`);
  });

  it('runs a traces pipeline made only of components the collector configures, into Jaeger', () => {
    const { traces } = collectorConfig.service.pipelines;
    for (const kind of ['receivers', 'processors', 'exporters'] as const)
      for (const name of traces[kind])
        expect([kind, name, name in collectorConfig[kind]]).toEqual([kind, name, true]);
    const [exporter] = traces.exporters;
    const jaegerOtlp = find(manifests, 'Service', 'jaeger').spec.ports.find(
      (p: Loose) => p.name === 'otlp-grpc',
    );
    expect(collectorConfig.exporters[exporter].endpoint).toBe(`jaeger:${jaegerOtlp.port}`);
  });

  it("mounts the collector's configuration where its command line reads it", () => {
    const pod = find(manifests, 'Deployment', 'otel-collector').spec.template.spec;
    const [c] = pod.containers;
    const mount = c.volumeMounts.find((m: Loose) => m.name === 'config');
    expect(c.args).toEqual([`--config=${mount.mountPath}/config.yaml`]);
    expect(pod.volumes.find((v: Loose) => v.name === 'config').configMap.name).toMatch(
      /^otel-collector-config-/,
    );
  });
});

describe('prod', () => {
  it('runs no collector nor Jaeger and sets no OTLP endpoint (bring your own backend)', () => {
    const manifests = render('overlays/prod');
    expect(manifests.filter((m) => ['otel-collector', 'jaeger'].includes(m.metadata.name))).toEqual([]);
    expect(
      findGenerated(manifests, 'ConfigMap', 'ticketing-config')!.data.OTEL_EXPORTER_OTLP_ENDPOINT,
    ).toBeUndefined();
  });
});
