/**
 * Writes the JSON Schemas of the event catalog to common/schemas, for services in other languages.
 * `npm run schemas` regenerates them; a test fails when the committed files drift from the code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { eventCatalog } from './catalog';
import { envelopeSchema } from './contract';

/** The files (name → JSON text) that describe the catalog. */
export function renderSchemas(): Record<string, string> {
  const files: Record<string, string> = {
    'envelope.schema.json': JSON.stringify(envelopeSchema, null, 2) + '\n',
  };
  for (const contract of Object.values(eventCatalog)) {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `https://ticketing.dev/schemas/${contract.subject}.schema.json`,
      title: contract.subject,
      description: contract.description,
      ...contract.schema,
    };
    files[`${contract.subject}.schema.json`] = JSON.stringify(schema, null, 2) + '\n';
  }
  return files;
}

export const schemasDir = path.join(__dirname, '..', '..', 'schemas');

if (require.main === module) {
  fs.mkdirSync(schemasDir, { recursive: true });
  for (const [name, text] of Object.entries(renderSchemas()))
    fs.writeFileSync(path.join(schemasDir, name), text);
  console.log(`wrote ${Object.keys(renderSchemas()).length} schemas to ${schemasDir}`);
}
