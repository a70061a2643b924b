// Ownership from CODEOWNERS in a real browser, against `blameful serve
// --demo`: an engineer looks up who owns a path of Larkspur's checkout
// repository and sees the owners with the line that decided it; the
// ownership drift page shows the storefront whose CODEOWNERS still names
// Checkout, and the alert label that names no entity. Pages are
// screenshotted and checked with axe, like the rest of the suite.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.mjs';

let h;

before(async () => { h = await start(); }, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

describe('ownership', () => {
  test('an engineer looks up the owners of a path', async (t) => {
    if (!h.logins.engineer) {
      t.skip('pending: serve --demo printed no login for an engineer');
      return;
    }
    const engineer = await h.login('engineer');
    const { page } = await h.page('/owners', engineer);
    await page.getByRole('heading', { name: 'Code owners' }).waitFor();
    await page.getByLabel('Repository').selectOption('larkspur/checkout');
    await page.getByLabel('Path', { exact: true }).fill('internal/payment/client.go');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Look up' }).click()]);
    const answer = page.locator('#answer');
    await answer.waitFor();
    const text = await answer.innerText();
    assert.match(text, /checkout/);
    assert.match(text, /payments/);
    assert.match(text, /line 3/);
    await h.check(page, 'owners-lookup');
  });

  test('the drift page shows what nobody owns yet', async (t) => {
    if (!h.logins.engineer) {
      t.skip('pending: serve --demo printed no login for an engineer');
      return;
    }
    const engineer = await h.login('engineer');
    const { page } = await h.page('/ownership-drift', engineer);
    await page.getByRole('heading', { name: /Ownership drift/ }).waitFor();
    const body = await page.locator('main').innerText();
    assert.match(body, /web-storefront/);
    assert.match(body, /service=feature-store/);
    await h.check(page, 'ownership-drift');
  });
});
