// The admin SPA signed in through Cloudflare Access, in headless Chromium.
// Started by tests/e2e/access.rs with BASE_URL, ACCESS_COOKIE (a token the
// test minted for ops@keygate.test, an Administrator of access-spa),
// LOGOUT_URL (the stand-in team's logout) and SHOTS in the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { row as keysRow, waitGone as keysGone } from './keys_list.mjs';
import { assertAccessible } from './a11y.mjs';

const BASE = process.env.BASE_URL;
const COOKIE = process.env.ACCESS_COOKIE;
const LOGOUT = process.env.LOGOUT_URL;
const SHOTS = process.env.SHOTS;

let browser, context, page;
const sent = [];

const row = (name) => keysRow(page, name);
const waitGone = (name) => keysGone(page, name);

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // What Access leaves in the browser after the company sign-in.
  await context.addCookies([{ name: 'CF_Authorization', value: COOKIE, url: BASE, httpOnly: true, sameSite: 'Lax' }]);
  page = await context.newPage();
  page.on('request', (r) => { if (r.url().includes('/api/v1/')) sent.push({ method: r.method(), headers: r.headers() }); });
});

after(async () => { await browser?.close(); });

test('an Access session skips the key form and shows who is signed in', async () => {
  await page.goto(BASE + '/admin/');
  await page.waitForSelector('#keys-table');
  assert.equal(await page.locator('#admin-token').count(), 0, 'no paste-a-key screen');
  const who = await page.innerText('#who');
  assert.match(who, /ops@keygate\.test/);
  assert.match(who, /Administrator/);
  assert.match(who, /access-spa/);
  assert.match(who, /via Cloudflare Access/);
  await assertAccessible(page, 'keys, signed in through Access');
  await page.screenshot({ path: `${SHOTS}/20-access-signed-in.png`, fullPage: true });
});

test('creates, edits and deletes a key without an admin token', async () => {
  await page.click('#create-key');
  await page.fill('#c-name', 'made through access');
  await page.fill('#c-org', 'access-spa');
  await page.click('#c-save');
  await page.waitForSelector('#token-dialog');
  await page.check('#token-saved');
  await page.click('#token-close');
  await page.waitForSelector('#token-dialog', { state: 'detached' });
  const creator = row('made through access').locator('.creator');
  assert.equal((await creator.innerText()).trim(), 'ops@keygate.test');

  await row('made through access').getByRole('button', { name: 'Edit made through access' }).click();
  await page.fill('#e-name', 'renamed through access');
  await page.click('#e-save');
  await page.waitForSelector('#edit-dialog', { state: 'detached' });
  await row('renamed through access').waitFor();

  await row('renamed through access').getByRole('button', { name: 'Delete renamed through access' }).click();
  await page.waitForSelector('#confirm-text');
  await page.click('#confirm-delete');
  await waitGone('renamed through access');

  // The audit log names the person.
  await page.click('nav button:has-text("Audit log")');
  await page.waitForSelector('table.audit td.actor');
  const actors = await page.locator('table.audit td.actor').allInnerTexts();
  assert.ok(actors.length >= 3 && actors.every((a) => a.trim() === 'ops@keygate.test'), actors.join(','));
  await page.click('nav button:has-text("Keys")');

  const calls = sent.filter((r) => r.method !== 'GET');
  assert.ok(calls.length >= 3, 'writes were made');
  for (const r of sent) {
    assert.equal(r.headers['authorization'], undefined, 'no admin token is ever sent');
    assert.equal(r.headers['x-keygate-client'], 'admin');
  }
  const stored = await page.evaluate(() => [sessionStorage.length, localStorage.length]);
  assert.deepEqual(stored, [0, 0], 'nothing kept in the browser');
});

test('signing out goes through the team logout', async () => {
  await page.click('#sign-out');
  await page.waitForURL(LOGOUT);
  assert.match(await page.innerText('h1'), /Signed out/);
});
