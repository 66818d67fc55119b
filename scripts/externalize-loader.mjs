// Moves trunk's inline module loader out of index.html into its own file,
// so the admin app's Content-Security-Policy can allow scripts only from
// the app's own origin ('self'), with no inline script and no hash to keep
// in step (§8). Usage: node scripts/externalize-loader.mjs <dist dir> <public url>
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const [dist, publicUrl] = process.argv.slice(2);
const indexPath = join(dist, 'index.html');
let html = readFileSync(indexPath, 'utf8');
const inline = /<script(?![^>]*\bsrc=)([^>]*)>([\s\S]*?)<\/script>/g;
let moved = 0;
html = html.replace(inline, (_, attrs, code) => {
  const name = `loader-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`;
  writeFileSync(join(dist, name), code);
  moved += 1;
  const type = /type=["']?module/.test(attrs) ? ' type="module"' : '';
  return `<script${type} src="${publicUrl}${name}"></script>`;
});
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) {
  console.error('externalize-loader: an inline script is left in index.html');
  process.exit(1);
}
writeFileSync(indexPath, html);
console.error(`externalize-loader: ${moved} inline script(s) moved to files`);
