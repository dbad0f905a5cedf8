// Regenerates the Ingress, the HTTPRoute (from infra/routes.json) and the service Dockerfiles
// (from infra/docker/service.Dockerfile.template). Run: npm run generate -w @ticketing/infra
import { writeGeneratedFiles } from '../src/generate';

const changed = writeGeneratedFiles();
console.log(changed.length ? `wrote ${changed.join(', ')}` : 'generated files are up to date');
