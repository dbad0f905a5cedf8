import fs from 'node:fs';
import path from 'node:path';

/**
 * A .dockerignore matcher: patterns are relative to the context root, `*` and `?` stay within one
 * path segment, `**` spans any number of them, `!pattern` re-includes, the last match wins, and a
 * pattern that matches a directory excludes everything below it (as Docker does).
 */
export function dockerignore(contextDir: string): (relPath: string) => boolean {
  const file = path.join(contextDir, '.dockerignore');
  const rules = (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (relPath: string) => {
    const parts = relPath.split('/');
    let ignored = false;
    for (const { negate, re } of rules) {
      // The path itself or any of its parent directories.
      for (let i = parts.length; i > 0; i--) {
        if (re.test(parts.slice(0, i).join('/'))) {
          ignored = !negate;
          break;
        }
      }
    }
    return ignored;
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` anything.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
