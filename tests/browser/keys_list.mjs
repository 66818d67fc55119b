// The keys table as both Chromium suites read it: rows only once the list
// has settled (the table says aria-busy while its first page loads).

/** The row of the key named `name`, once the list has settled: a click on
 * a row that a reload is about to replace can land on whatever takes its
 * place. */
export function row(page, name) {
  return page.locator('#keys-table[aria-busy=false] tbody tr', { has: page.locator('td.name', { hasText: name }) });
}

/** Until the list has settled without `name`. Not `row(…).waitFor({ state:
 * 'detached' })`: while the list reloads the old rows stay on screen and
 * row() matches none of them, so that returned before the reload was done,
 * and the next test acted on the old rows (CI: "Delete selected (5)"). */
export async function waitGone(page, name) {
  await page.waitForFunction((n) => {
    const table = document.querySelector('#keys-table');
    return table?.getAttribute('aria-busy') === 'false'
      && ![...table.querySelectorAll('tbody td.name')].some((td) => td.innerText.includes(n));
  }, name);
}
