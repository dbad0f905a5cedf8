import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The secret stored in `file`, generated (`bytes` random bytes, base64url, mode 600) when missing. */
export function readOrCreateSecret(file: string, bytes: number): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(bytes).toString('base64url'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}
