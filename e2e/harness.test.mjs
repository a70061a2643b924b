// Tests of the harness's own parsing; they need no server or browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogins } from './harness.mjs';

const base = 'http://127.0.0.1:4321';

test('parseLogins reads one login per role', () => {
  const out = [
    'blameful is serving on http://127.0.0.1:4321 (make an API token with: …)',
    'Log in at http://127.0.0.1:4321/login as ada@larkspur.example (engineer) with password tulip-42-river',
    'log in at http://127.0.0.1:4321/login as tomas.rivera@larkspur.example with password "b9x.Q" — leader',
    '  admin: log in as root@larkspur.example with password: hunter2.',
  ].join('\n');
  assert.deepEqual(parseLogins(out, base), {
    engineer: { email: 'ada@larkspur.example', password: 'tulip-42-river', url: 'http://127.0.0.1:4321/login' },
    leader: { email: 'tomas.rivera@larkspur.example', password: 'b9x.Q', url: 'http://127.0.0.1:4321/login' },
    admin: { email: 'root@larkspur.example', password: 'hunter2', url: `${base}/login` },
  });
});

test('parseLogins ignores lines that are not logins', () => {
  const out = [
    'time=2026-11-30T17:34:59Z level=INFO msg="demo loaded" people=48',
    'blameful is serving on http://127.0.0.1:4321',
    'reset a password with blameful user add',
    'log in with OIDC at http://127.0.0.1:4321/login',
  ].join('\n');
  assert.deepEqual(parseLogins(out, base), {});
});
