// Single sign-on in a real browser: blameful serve --demo logs people in
// through a real OpenID provider (the example server of zitadel/oidc, run
// locally), following its redirects as any user would. A verified email
// logs in its person, whether they have an account or not yet; an email
// the provider has not verified logs nobody in.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.mjs';

// The provider's users, as its USERS_FILE holds them.
const user = (id, username, email, verified) => ({
  ID: id, Username: username, Password: `${username}-password`, FirstName: username, LastName: 'Test',
  Email: email, EmailVerified: verified, PreferredLanguage: 'en',
});
const users = {
  // The demo's engineer, who has an account already.
  'sub-ana': user('sub-ana', 'ana', 'ana.costa@larkspur.example', true),
  // A person of the demo org with no account yet.
  'sub-margot': user('sub-margot', 'margot', 'margot.chen@larkspur.example', true),
  // Someone claiming the leader's email, which the provider never verified.
  'sub-eve': user('sub-eve', 'eve', 'tomas.rivera@larkspur.example', false),
};

let h;
before(async () => { h = await start({ oidcUsers: users }); }, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

// ssoLogin clicks single sign-on on the login page, logs in to the
// provider as username with the keyboard, and returns the page it ends on.
async function ssoLogin(username, shot) {
  const ctx = await h.newContext({ allowOrigins: [h.issuer] });
  const { page } = await h.page('/login?next=%2Fincidents', ctx);
  const sso = page.getByRole('link', { name: /^Log in with localhost:\d+$/ });
  await sso.waitFor();
  if (shot) {
    await h.screenshot(page, shot);
    await h.axe(page);
  }
  await sso.focus();
  await Promise.all([page.waitForURL((u) => u.origin === new URL(h.issuer).origin), page.keyboard.press('Enter')]);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(`${username}-password`);
  await Promise.all([
    page.waitForURL((u) => u.origin === new URL(h.baseURL).origin, { waitUntil: 'load' }),
    page.locator('input[name="password"]').press('Enter'),
  ]);
  return page;
}

describe('single sign-on', () => {
  test('a verified email logs in the account that has it', async () => {
    const page = await ssoLogin('ana', 'login-sso');
    assert.equal(new URL(page.url()).pathname, '/incidents');
    await page.goto('/');
    assert.match(await page.locator('header').innerText(), /ana\.costa/);
    assert.deepEqual(h.problems(page), []);
  });

  test('a verified email of a person without an account makes one', async () => {
    const page = await ssoLogin('margot');
    assert.equal(new URL(page.url()).pathname, '/incidents');
    await page.goto('/');
    assert.match(await page.locator('header').innerText(), /margot\.chen/);
  });

  test('an unverified email logs nobody in', async () => {
    const page = await ssoLogin('eve');
    assert.equal(new URL(page.url()).pathname, '/auth/oidc/callback');
    const alert = page.getByRole('alert');
    assert.match(await alert.innerText(), /has not verified your email address/);
    await h.screenshot(page, 'login-sso-refused');
    await h.axe(page);
    const res = await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/login', `GET / answered ${res && res.status()} at ${page.url()}`);
  });
});
