// API tokens in a real browser, against `blameful serve --demo`: the
// administrator makes an ingest token on /tokens, sees its secret once,
// delivers an alert with it, revokes it from the list, and the next
// delivery is refused. A bad form is answered on the page, naming the
// field. An engineer has no link to the page and is refused it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.mjs';

let h;
before(async () => { h = await start(); }, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

// deliver posts one Alertmanager alert with the token and returns the
// answer's status.
async function deliver(secret) {
  const body = {
    version: '4', groupKey: '{}:{alertname="E2ETokens"}', status: 'firing', receiver: 'blameful',
    groupLabels: { alertname: 'E2ETokens' }, commonLabels: { alertname: 'E2ETokens', severity: 'warning' },
    commonAnnotations: {}, externalURL: 'http://alertmanager.example', truncatedAlerts: 0,
    alerts: [{ status: 'firing', labels: { alertname: 'E2ETokens', severity: 'warning', service: 'checkout-api' },
      annotations: { summary: 'tokens page test' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example', fingerprint: 'e2e0000000000001' }],
  };
  const res = await fetch(`${h.baseURL}/hooks/alertmanager`, { method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' } });
  return res.status;
}

describe('API tokens', () => {
  test('an administrator makes an ingest token, sees its secret once, and revokes it', async (t) => {
    if (!h.logins.admin || !h.logins.engineer) {
      t.skip('pending: serve --demo printed no logins for an admin and an engineer');
      return;
    }
    const admin = await h.login('admin');
    const { page } = await h.page('/', admin);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Tokens' }).click()]);
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();

    // A bad form: ingest with another role. The page says why and keeps what was typed.
    await page.getByLabel(/^Name/).fill('e2e-sender');
    await page.getByRole('checkbox', { name: 'ingest' }).check();
    await page.getByRole('checkbox', { name: 'admin' }).check();
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Make the token' }).click()]);
    const error = page.getByRole('alert');
    assert.match(await error.innerText(), /ingest token delivers alerts and nothing else/);
    assert.equal(await page.getByLabel(/^Name/).inputValue(), 'e2e-sender');
    await h.check(page, 'tokens-refused');

    await page.getByRole('checkbox', { name: 'admin' }).uncheck();
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Make the token' }).click()]);
    await page.getByRole('heading', { name: 'Token e2e-sender made' }).waitFor();
    const secret = (await page.locator('#made-secret').innerText()).trim();
    assert.match(secret, /^bf_/);
    const row = page.locator('tr', { hasText: 'e2e-sender' });
    assert.match(await row.innerText(), /ingest/);
    assert.match(await row.innerText(), /in force/);
    await h.check(page, 'tokens-made');

    assert.equal(await deliver(secret), 202, 'the new token delivers alerts');

    // The secret is not on the page any more once it is left.
    await page.goto(`${h.baseURL}/tokens`);
    assert.equal(await page.getByText(secret).count(), 0, 'the list never shows a secret again');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Revoke the token e2e-sender' }).click()]);
    assert.equal(new URL(page.url()).pathname, '/tokens');
    assert.match(await page.locator('tr', { hasText: 'e2e-sender' }).innerText(), /revoked/);
    assert.equal(await deliver(secret), 401, 'a revoked token is refused at once');
    await h.check(page, 'tokens-revoked');

    // Not for engineers: no link, and the page refuses.
    const engineer = await h.login('engineer');
    const { page: home } = await h.page('/', engineer);
    assert.equal(await home.getByRole('link', { name: 'Tokens' }).count(), 0);
    const { response } = await h.page('/tokens', engineer);
    assert.equal(response.status(), 403);
  });
});
