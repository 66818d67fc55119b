// An automated accessibility audit of the current screen with axe-core
// (from npm), run inside the page. The app's CSP allows no injected
// script, so the engine is evaluated through the DevTools protocol
// (Playwright's evaluate), which the CSP does not govern.
import { readFile } from 'node:fs/promises';
import assert from 'node:assert/strict';

const AXE = await readFile(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

/** Every serious or critical violation on `page` now, as readable lines. */
export async function violations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails with the list when `screen` has a serious or critical violation. */
export async function assertAccessible(page, screen, audited) {
  const bad = await violations(page);
  audited?.push(screen);
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.join(', ')}`), [], `accessibility of ${screen}`);
}
