/**
 * A rolling restart as a Kubernetes Deployment does one with maxUnavailable 1 and no surge: one
 * replica at a time gets SIGTERM (it drains: unready, still serving, then stops), starts again,
 * and the next is stopped only once it is ready again and, for a service with routes, the gateway
 * sends requests to it.
 */
import { SERVICE_NAMES, type RunningSystem, type ServiceName } from './system';

export async function rollingRestart(
  system: RunningSystem,
  options: { services?: readonly ServiceName[]; log?: (line: string) => void } = {},
): Promise<void> {
  for (const service of options.services ?? SERVICE_NAMES) {
    for (const replica of system.replicas[service]) {
      const before = replica.pid;
      await replica.restart();
      // A service the gateway routes to is ready once the gateway sends it requests again.
      if (system.gateway.upstreams(service).length > 0)
        await system.gateway.waitUntilReady(service, replica.port);
      options.log?.(`restarted ${replica.name} (pid ${before} → ${replica.pid}) with SIGTERM; ready again`);
    }
  }
}
