// Every action works from the keyboard: on each main page, Tab reaches
// every control in turn, each showing where focus is, with no trap; and a
// reviewer declares an incident and adds to its timeline without touching
// the mouse.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.mjs';

let h;
let leader = null;
before(async () => {
  h = await start();
  leader = await h.login('leader');
}, { timeout: 120_000 });
after(async () => { await h?.stop(); }, { timeout: 30_000 });

// The ISO week of a date, 2026-W48.
function isoWeek(d) {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  const y = t.getUTCFullYear();
  const w = Math.ceil(((t - Date.UTC(y, 0, 1)) / 86_400_000 + 1) / 7);
  return `${y}-W${String(w).padStart(2, '0')}`;
}

// focusables lists, in document order, a key for every control Tab
// should reach: visible, enabled, not taken out of the tab order.
function focusables(page) {
  return page.evaluate(() => {
    const sel = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]';
    const key = (el) => `${el.tagName.toLowerCase()}#${[...document.querySelectorAll(el.tagName)].indexOf(el)}`;
    return [...document.querySelectorAll(sel)]
      .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0 && !el.closest('[inert], [hidden]')
        && getComputedStyle(el).visibility !== 'hidden' && !(el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS'))
      .filter((el) => !el.closest('details:not([open])') || el.tagName === 'SUMMARY')
      .map(key);
  });
}

// focused describes the focused element: its key and whether something
// shows where it is (an outline or a shadow).
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return {
      key: `${el.tagName.toLowerCase()}#${[...document.querySelectorAll(el.tagName)].indexOf(el)}`,
      label: (el.getAttribute('aria-label') || el.textContent || el.name || '').trim().slice(0, 40),
      visible: outline || s.boxShadow !== 'none',
    };
  });
}

// tabTo presses Tab until the focused element matches selector.
async function tabTo(page, selector, max = 200) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  throw new Error(`Tab never reached ${selector} in ${max} presses on ${page.url()}`);
}

describe('the keyboard', () => {
  test('Tab reaches every control of each page, and shows it', async (t) => {
    const week = isoWeek(new Date(Date.now() - 7 * 86_400_000));
    for (const path of ['/', '/incidents', `/reviews/${week}`, '/followups', '/teams', '/entities', '/integrity', '/audit', '/incidents/new']) {
      await t.test(path, async () => {
        const { page } = await h.page(path, leader);
        const want = await focusables(page);
        assert.ok(want.length > 0, `${path} has nothing to focus`);
        const seen = new Set();
        const unseen = [];
        // Twice round the page at most: past that, Tab is trapped somewhere.
        for (let i = 0; i < 2 * want.length + 5 && seen.size < want.length; i++) {
          await page.keyboard.press('Tab');
          const f = await focused(page);
          // A date and time field takes several presses, one per part;
          // arriving in it is what must show.
          if (!f || seen.has(f.key)) continue;
          if (!f.visible) unseen.push(`${f.key} "${f.label}"`);
          seen.add(f.key);
        }
        const missed = want.filter((k) => !seen.has(k));
        assert.deepEqual(missed, [], `${path}: Tab never reached ${missed.join(', ')}`);
        assert.deepEqual(unseen, [], `${path}: focus does not show on ${unseen.join(', ')}`);
        await page.close();
      });
    }
  });

  test('declare an incident and add to its timeline without a mouse', async () => {
    const { page } = await h.page('/incidents/new', leader);
    await tabTo(page, 'input[name="title"]');
    await page.keyboard.type('Search results empty after the index rebuild');
    await tabTo(page, 'select[name="severity"]');
    await page.keyboard.press('End'); // the least severe
    if (!(await page.locator('input[name="started_at"]').inputValue())) {
      throw new Error('the start time is not filled in for the reviewer');
    }
    await tabTo(page, 'input[name="origin"]');
    await page.keyboard.type('component:checkout-api');
    await tabTo(page, 'textarea[name="summary"]');
    await page.keyboard.type('The rebuilt index had no documents for an hour.');
    await tabTo(page, 'button[type="submit"]');
    await Promise.all([page.waitForURL(/\/incidents\/INC-/, { waitUntil: 'load' }), page.keyboard.press('Enter')]);
    assert.match(await page.locator('h1').innerText(), /Search results empty/);

    await tabTo(page, 'textarea[name="text"]');
    await page.keyboard.type('Paged the search on-call.');
    await tabTo(page, 'form[action$="/timeline"] button[type="submit"]');
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Space')]);
    await page.getByText('Paged the search on-call.').first().waitFor();
    await h.screenshot(page, 'incident-by-keyboard');
    await h.axe(page);
    assert.deepEqual(h.problems(page), []);
    await page.close();
  });
});
