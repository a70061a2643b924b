// The reviewer's flows in a real browser, against `blameful serve --demo`:
// edit a postmortem, be refused publishing with no party (A1) in place,
// override the suggestion with a justification (A8), add a follow-up,
// publish; decide an assessment as the right leader, appeal it as the
// subject; and see a member refused the private page. Every page visited
// is screenshotted and checked with axe, like the rest of the suite.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { start } from './harness.mjs';

let h;
let admin = ''; // an admin API token, to set the scene fast
before(async () => {
  h = await start();
  if (h.logins.leader) admin = (await h.cli('token', 'create', '--role', 'admin', '--name', 'e2e')).trim();
}, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

const needLogins = (t) => {
  if (h.logins.leader && h.logins.engineer) return false;
  t.skip('pending: serve --demo printed no logins for a leader and an engineer');
  return true;
};

// declare makes an incident on the checkout API that started an hour ago,
// resolved, and returns its ID.
async function declare(title) {
  const started = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const inc = await h.api(admin, 'POST', '/api/v1/incidents', { title, severity: 'SEV3', started_at: started,
    entities: [{ ref: 'component:checkout-api', origin: true }] });
  await h.api(admin, 'PATCH', `/api/v1/incidents/${inc.id}`, { status: 'resolved' });
  return inc.id;
}


// submit clicks a form's button and waits for the page the post loads
// (after a redirect, or the form shown again with a refusal).
async function submit(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

describe('the postmortem editor', () => {
  test('edit, A1 in place, override with A8, a follow-up, publish', async (t) => {
    if (needLogins(t)) return;
    const id = await declare('Checkout API timeouts during the sale');
    const leader = await h.login('leader');
    const { page } = await h.page(`/incidents/${id}/postmortem`, leader);
    await h.check(page, 'postmortem-draft');
    await page.getByText('every rule the engine considered', { exact: false }).first().waitFor();

    await page.locator('#mechanism').fill('The connection **pool** was sized for last year’s peak.');
    await submit(page, page.getByRole('button', { name: 'Save the document' }));
    await page.locator('.prose strong', { hasText: 'pool' }).first().waitFor({ state: 'attached' });

    await submit(page, page.getByRole('button', { name: 'Submit for review' }));
    await submit(page, page.getByRole('button', { name: 'Publish' }));
    const refusal = page.locator('#state [role="alert"]');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /A1/, 'publishing with no party is refused in place, naming A1');
    await h.check(page, 'postmortem-a1-refused');

    await page.locator('#party').fill('group:payments');
    await submit(page, page.getByRole('button', { name: 'Decide' }));
    assert.match(await page.locator('#attribution [role="alert"]').innerText(), /A8/, 'an override without a justification names A8');
    await page.locator('#justification').fill('Payments changed the retry policy that starved the pool.');
    await submit(page, page.getByRole('button', { name: 'Decide' }));
    await page.getByText('overriding the suggestion').waitFor();

    await page.locator('#followups input[name="title"]').fill('Alert on pool saturation');
    await page.locator('#followups input[name="owner"]').fill('group:payments');
    await submit(page, page.getByRole('button', { name: 'Add follow-up' }));
    await page.getByRole('cell', { name: 'Alert on pool saturation' }).waitFor();

    await submit(page, page.getByRole('button', { name: 'Publish' }));
    await page.locator('.state-published').waitFor();
    await h.check(page, 'postmortem-published');
    await leader.close();
  });
});

describe('accountability', () => {
  test('the leader decides, the subject appeals, a member is refused', async (t) => {
    if (needLogins(t)) return;
    // Sofia Bianchi leads Checkout: her own fault is decided one level up,
    // by the leader of Commerce (J2), who has a demo login.
    const id = await declare('Checkout config pushed without review');
    await h.api(admin, 'PUT', `/api/v1/incidents/${id}/attribution`, { party: 'user:sofia.bianchi', justification: 'She pushed the config by hand.' });
    const password = 'correct horse battery staple';
    const file = join(h.tmp, 'sofia.password');
    await writeFile(file, password + '\n');
    await h.cli('user', 'add', 'sofia.bianchi@larkspur.example', '--person', 'user:sofia.bianchi', '--password-file', file);

    const leader = await h.login('leader');
    const { page } = await h.page(`/incidents/${id}/assessment`, leader);
    await h.check(page, 'assessment-decider');
    await page.locator('select[name="expected_to_prevent"]').selectOption('yes');
    await submit(page, page.getByRole('button', { name: 'Record the judgement' }));
    await submit(page, page.getByRole('button', { name: 'Decide' }));
    await page.locator('#decision table').waitFor();
    await leader.close();

    const subject = await h.loginWith({ email: 'sofia.bianchi@larkspur.example', password });
    const sp = (await h.page(`/incidents/${id}/assessment`, subject)).page;
    await sp.locator('#reason').fill('The review tool was down; I followed the documented break-glass path.');
    await submit(sp, sp.getByRole('button', { name: 'Appeal' }));
    await sp.getByText('Appealed by').waitFor();
    await h.check(sp, 'assessment-appealed');
    await subject.close();

    const member = await h.login('engineer');
    const { page: mp, response } = await h.page(`/incidents/${id}/assessment`, member);
    assert.equal(response.status(), 403, 'a member outside the audience is refused the private page');
    assert.ok(!(await mp.content()).includes('break-glass'), 'the refusal shows nothing private');
    await h.check(mp, 'assessment-refused');
    await member.close();
  });
});
