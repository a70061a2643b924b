// Browser tests of the web UI against a real `blameful serve --demo`.
//
// Every page a test opens is screenshotted into e2e/screenshots/ and checked
// with axe-core (no serious or critical violation), and must raise no CSP
// violation or uncaught script error. What is still being built is detected
// at run time and skipped with the reason, so these tests tighten by
// themselves as pages land: a 404 is "pending", anything else is judged.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.mjs';

let h;

before(async () => { h = await start(); }, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

// The page routes; all of them want a session.
const pages = ['/', '/incidents', '/reviews', `/reviews/${isoWeek(new Date())}`, '/followups', '/integrity', '/teams',
  '/entities', '/fairness', '/audit', '/people/user:default/ana.costa', '/teams/group:default/commerce'];
// Pages still being built: a 404 from one of them is pending, not a failure.
const landing = [];

// visit opens path (in ctx, or the signed-out context), saves a screenshot
// named name, and checks it: an answer below 400, no serious or critical
// axe violation, no CSP violation or script error. A 404 skips t as pending
// when pendingOn404 is set. It returns the open page, or null when skipped.
async function visit(t, path, name, { ctx, pendingOn404 = false } = {}) {
  const { page, response } = await h.page(path, ctx);
  const status = response ? response.status() : 0;
  if (status === 404 && pendingOn404) {
    t.skip(`pending: ${path} answers 404 (not built yet)`);
    await page.close();
    return null;
  }
  await h.screenshot(page, name);
  assert.ok(status > 0 && status < 400, `${path} answered ${status} (landed on ${page.url()})`);
  const minor = await h.axe(page);
  if (minor.length > 0) {
    t.diagnostic(`${path}: axe, minor or moderate: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  }
  assert.deepEqual(h.problems(page), [], `${path}: the browser reported problems`);
  return page;
}

describe('signed out', () => {
  test('/healthz answers ok', async () => {
    const res = await fetch(`${h.baseURL}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
  });

  for (const path of [...pages, ...landing]) {
    test(`GET ${path} sends you to log in and back`, async (t) => {
      const res = await fetch(h.baseURL + path, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      if (res.status === 404 && landing.includes(path)) {
        t.skip(`pending: ${path} answers 404 (not built yet)`);
        return;
      }
      assert.equal(res.status, 303, `${path} answered ${res.status}`);
      const to = new URL(res.headers.get('location'), h.baseURL);
      assert.equal(to.pathname, '/login');
      assert.equal(to.searchParams.get('next'), path);
    });
  }

  test('the stylesheets are served with Cache-Control', async () => {
    for (const [path, type] of [['/static/blameful.css', 'text/css'], ['/static/print.css', 'text/css']]) {
      const res = await fetch(h.baseURL + path, { signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200, `${path} answered ${res.status}`);
      assert.match(res.headers.get('content-type') || '', new RegExp(`^${type}`), path);
      const cc = res.headers.get('cache-control') || '';
      const maxAge = Number((cc.match(/max-age=(\d+)/) || [])[1] || 0);
      assert.ok(maxAge > 0 && !/no-store|no-cache/.test(cc), `${path}: Cache-Control is "${cc}", want a max-age`);
    }
  });

  test('in the browser, / lands on the login page', async (t) => {
    const { page, response } = await h.page('/');
    const url = new URL(page.url());
    assert.equal(url.pathname, '/login', `/ landed on ${page.url()}`);
    assert.equal(url.searchParams.get('next'), '/');
    await h.screenshot(page, 'login');
    if (response.status() === 404) {
      t.skip('pending: /login answers 404 (the login page is not built yet)');
      return;
    }
    assert.equal(response.status(), 200);
    await h.axe(page);
    assert.deepEqual(h.problems(page), []);
    await assert.doesNotReject(page.locator('input[name="email"]').waitFor(), 'the login form has an email field');
    await assert.doesNotReject(page.locator('input[name="password"][type="password"]').waitFor(), 'the login form has a password field');
    const styled = await page.evaluate(() => [...document.styleSheets].some((s) => s.href && s.href.endsWith('/static/blameful.css') && s.cssRules.length > 0));
    assert.ok(styled, 'the login page loads /static/blameful.css');
    // Dark mode has its own colours, so its own contrast to check.
    await page.emulateMedia({ colorScheme: 'dark' });
    await h.screenshot(page, 'login-dark');
    await h.axe(page);
    await page.close();
  });
});

describe('signed in', () => {
  // The first login serve printed, the engineer's when there is one.
  const who = () => ['engineer', 'user', 'member', 'leader', 'admin'].find((r) => h.logins[r]);
  let ctx = null;

  before(async () => {
    if (who()) ctx = await h.login(who());
  }, { timeout: 60_000 });

  const needLogin = (t) => {
    if (ctx) return false;
    t.skip('pending: serve --demo printed no "Log in at … as EMAIL with password PASSWORD" line, so nothing signed in can be tested yet');
    return true;
  };

  test('the dashboard and every page in the navigation', async (t) => {
    if (needLogin(t)) return;
    const page = await visit(t, '/', `dashboard-${who()}`, { ctx });
    const links = await page.locator('header nav a[href^="/"], nav a[href^="/"]').evaluateAll(
      (as) => [...new Set(as.map((a) => a.getAttribute('href')))],
    );
    await page.close();
    assert.ok(links.length > 0, 'the dashboard has navigation links');
    for (const href of links.filter((l) => l !== '/' && !l.startsWith('/logout'))) {
      await t.test(href, async (st) => {
        const p = await visit(st, href, `nav${href}`, { ctx, pendingOn404: true });
        await p?.close();
      });
    }
  });

  test('an incident, its postmortem and this week\'s review', async (t) => {
    if (needLogin(t)) return;
    const list = await visit(t, '/incidents', 'incidents', { ctx });
    const first = list.locator('main table a[href^="/incidents/"]').first();
    await assert.doesNotReject(first.waitFor(), 'the incidents list links to an incident');
    const href = await first.getAttribute('href');
    await list.close();
    const id = href.split('/')[2];

    const incident = await visit(t, `/incidents/${id}`, 'incident', { ctx });
    await incident.close();
    const pm = await visit(t, `/incidents/${id}/postmortem`, 'postmortem', { ctx });
    await pm.close();
    const review = await visit(t, `/reviews/${isoWeek(new Date())}`, 'review-this-week', { ctx });
    await review.close();
    const last = await visit(t, `/reviews/${isoWeek(new Date(Date.now() - 7 * 86_400_000))}`, 'review-last-week', { ctx });
    await h.screenshot(last, 'review-last-week-top', { fullPage: false }); // what the README shows
    await last.close();
  });
});

// isoWeek returns d's ISO 8601 week, "2026-W48", in UTC.
function isoWeek(d) {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day); // the Thursday of this week decides the year
  const jan1 = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((t - jan1) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
