// Alerts in a real browser, against `blameful serve --demo`: a firing
// Alertmanager group posted to /hooks/alertmanager with an ingest token
// opens an incident whose page lists its alerts with their labels; the
// demo's gateway storm shows a group that resolved by itself; an
// administrator's integrations page shows the hook's deliveries. Pages
// are screenshotted and checked with axe, like the rest of the suite.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.mjs';

let h;
let ingest = '';

before(async () => {
  h = await start();
  ingest = (await h.cli('token', 'create', '--role', 'ingest', '--name', 'e2e-alertmanager')).trim();
}, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

async function deliver(body) {
  const res = await fetch(`${h.baseURL}/hooks/alertmanager`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${ingest}`, 'Content-Type': 'application/json' },
  });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  return JSON.parse(text);
}

describe('alerts', () => {
  test('a firing group opens an incident that shows its alerts', async (t) => {
    if (!h.logins.admin || !h.logins.engineer) {
      t.skip('pending: serve --demo printed no logins for an admin and an engineer');
      return;
    }
    const startsAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const labels = (instance) => ({ alertname: 'CartCheckoutErrors', service: 'cart-service', severity: 'error', instance });
    const body = {
      version: '4', status: 'firing', receiver: 'blameful', groupKey: '{}:{alertname="CartCheckoutErrors"}',
      groupLabels: { alertname: 'CartCheckoutErrors' }, commonLabels: { alertname: 'CartCheckoutErrors', service: 'cart-service', severity: 'error' },
      commonAnnotations: { summary: 'Cart checkout errors above 2%' }, externalURL: 'http://alertmanager.example.com:9093',
      alerts: ['cart-1:8080', 'cart-2:8080'].map((i, n) => ({ status: 'firing', labels: labels(i), annotations: { summary: 'Cart checkout errors above 2%' },
        startsAt, endsAt: '0001-01-01T00:00:00Z', fingerprint: `e2ecart000000${n}`, generatorURL: 'http://prometheus.example.com/graph' })),
    };
    const first = await deliver(body);
    assert.equal(first.opened, true);
    const again = await deliver(body);
    assert.equal(again.repeated, 2, 'a retry records nothing new');

    const engineer = await h.login('engineer');
    const { page } = await h.page(`/incidents/${first.incident}`, engineer);
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    const section = page.locator('#alerts');
    assert.match(await section.innerText(), /2 firing, 0 resolved/);
    assert.match(await section.innerText(), /instance=cart-2:8080/);
    assert.match(await page.locator('.lede').innerText(), /source alertmanager/);
    assert.match(await page.locator('.facts').innerText(), /cart-service/);
    await h.check(page, 'incident-alerts-firing');

    // The demo's gateway storm: four alerts, all resolved, mitigated by
    // the group's resolution and resolved by the on-call.
    const { page: list } = await h.page('/incidents?source=alertmanager', engineer);
    const row = list.locator('tr', { hasText: 'API gateway p99 latency' }).first();
    await Promise.all([list.waitForEvent('load'), row.getByRole('link').first().click()]);
    const storm = list.locator('#alerts');
    await storm.waitFor();
    assert.match(await storm.innerText(), /0 firing, 4 resolved/);
    await h.check(list, 'incident-alerts-resolved');
  });

  test('the integrations page is for administrators', async (t) => {
    if (!h.logins.admin || !h.logins.engineer) {
      t.skip('pending: serve --demo printed no logins for an admin and an engineer');
      return;
    }
    const admin = await h.login('admin');
    const { page } = await h.page('/integrations', admin);
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    const row = page.locator('tr', { hasText: '/hooks/alertmanager' });
    assert.match(await row.innerText(), /accepted/);
    await h.check(page, 'integrations');

    const engineer = await h.login('engineer');
    const { page: home } = await h.page('/', engineer);
    assert.equal(await home.getByRole('link', { name: 'Integrations' }).count(), 0);
    const { response } = await h.page('/integrations', engineer);
    assert.equal(response.status(), 403);
  });
});
