// SPDX-License-Identifier: Apache-2.0
// The portal in headless Chromium (Debian's chromium, driven by playwright-core): log in
// with the keyboard, see "my desktops", connect (a .rdp download), reset the desktop
// through the confirm dialog and watch it come back ready; a small-screen view too.
// Usage: node portal_test.mjs URL USER PASSWORD ARTIFACT_DIR
// Elements are found by role and label only, so a page without accessible names fails.
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, user, password, out] = process.argv.slice(2);
const step = (m) => console.log(`portal: ${m}`);
const profile = mkdtempSync(join(tmpdir(), 'dp-chromium-'));
// A fresh profile each run (playwright passes it as --user-data-dir).
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  ignoreHTTPSErrors: true,
  acceptDownloads: true,
  viewport: { width: 1100, height: 760 },
});
let failed = false;
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // 401s are expected (the wrong password, the check after logout); nothing else may fail.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => { if (r.status() === 404) problems.push(`404: ${r.url()}`); });

  await page.goto(url);
  await page.getByRole('heading', { name: 'Log in to your desktops' }).waitFor();
  if (await page.getByRole('button', { name: 'Log out' }).isVisible())
    throw new Error('the login page offers "Log out" to nobody');
  // A wrong password first: the error is shown and announced (role=alert).
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill('not-the-password');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: /wrong user name or password/i }).waitFor();
  await page.screenshot({ path: join(out, 'portal-login.png') });
  step('a wrong password shows an error');
  // Keyboard only: the user field has focus after the error? Type into the password field.
  await page.getByLabel('Password').fill(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'My desktops' }).waitFor();
  await page.getByText(`Signed in as ${user}`).waitFor();
  const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'lab' }) });
  await card.waitFor();
  step('logged in; the desktop list shows pool lab');
  await page.screenshot({ path: join(out, 'portal-list.png') });

  // Connect: the .rdp file comes as a download and carries the routing token.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 150000 }),
    card.getByRole('button', { name: 'Connect' }).click(),
  ]);
  const rdp = readFileSync(await download.path(), 'utf8');
  if (!/^loadbalanceinfo:s:Cookie: msts=[A-Za-z0-9_.-]+\r$/m.test(rdp) ||
      !/^username:s:/m.test(rdp) || download.suggestedFilename() !== 'lab.rdp')
    throw new Error(`bad .rdp download ${download.suggestedFilename()}: ${rdp}`);
  step(`Connect downloaded ${download.suggestedFilename()} with a routing token`);
  const state = card.getByRole('status');
  await state.filter({ hasText: /Ready for you|In use|Ready/ }).waitFor({ timeout: 30000 });
  const vm = (await card.locator('.f-vm').textContent()).trim();
  step(`desktop ${vm} is ${(await state.textContent()).trim()}`);

  // Reset: the dialog warns that files go; Cancel changes nothing, Reset starts it.
  await card.getByRole('button', { name: 'Reset' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Your files on this desktop will be erased').waitFor();
  await page.screenshot({ path: join(out, 'portal-confirm.png') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await card.getByRole('button', { name: 'Reset' }).click();
  await dialog.getByRole('button', { name: 'Reset and erase' }).click();
  // The progress shows at once (an instant clone may be back within the next poll).
  await card.getByText(`Resetting ${vm}`).waitFor({ timeout: 5000 });
  await page.screenshot({ path: join(out, 'portal-resetting.png') });
  step('reset confirmed; progress shown');
  await page.getByText(`Your desktop ${vm} is ready again.`, { exact: true }).first()
    .waitFor({ timeout: 150000 });
  await state.filter({ hasText: /^Ready$/ }).waitFor();
  step(`${vm} came back ready`);
  await page.screenshot({ path: join(out, 'portal.png') });

  // Small screen: same page, no horizontal scrolling, buttons still reachable.
  await page.setViewportSize({ width: 360, height: 740 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 360) throw new Error(`the page is ${wide} px wide on a 360 px screen`);
  await card.getByRole('button', { name: 'Restart' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, 'portal-mobile.png'), fullPage: true });
  step('usable at 360 px (no horizontal scroll)');

  // Log out: back to the login page; the session is gone.
  await page.setViewportSize({ width: 1100, height: 760 });
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to your desktops' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  if (me !== 401) throw new Error(`after logout GET /me answered ${me}`);
  step('logged out; the session cookie no longer works');
  if (problems.length) throw new Error(problems.join('\n'));
} catch (e) {
  failed = true;
  console.error(`portal: FAIL: ${e.stack || e}`);
  try {
    const pages = ctx.pages();
    if (pages.length) await pages[0].screenshot({ path: join(out, 'portal-failure.png') });
  } catch (e2) { /* nothing more to show */ }
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
