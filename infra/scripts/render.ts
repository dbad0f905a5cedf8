// Renders a kustomize overlay offline and prints it, e.g. to review or to `kubectl apply -f -`:
//   npm run render -w @ticketing/infra -- prod
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { kustomizeCommand } from '../src/kustomize';
import { k8sDir, overlays } from '../src/paths';

const overlay = process.argv[2] ?? 'dev';
if (!(overlays as readonly string[]).includes(overlay)) {
  console.error(`usage: render <${overlays.join('|')}>`);
  process.exit(2);
}
const { bin, args } = kustomizeCommand();
process.stdout.write(
  execFileSync(bin, [...args, path.join(k8sDir, 'overlays', overlay)], { encoding: 'utf8' }),
);
