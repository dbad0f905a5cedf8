import fs from 'node:fs';
import path from 'node:path';
import { messagingMetricNames } from '../metrics';

const contract = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'docs', 'contract.md'), 'utf8');

describe('the metrics in docs/contract.md', () => {
  it('are exactly the HTTP histogram and the messaging metrics a service exports', () => {
    const section = contract.slice(contract.indexOf('\n## Metrics'));
    const documented = [...section.matchAll(/^\| `([a-z_]+)` +\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(
      ['http_request_duration_seconds', ...Object.values(messagingMetricNames)].sort(),
    );
  });
});
