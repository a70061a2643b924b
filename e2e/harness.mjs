// The browser-test harness: one real `blameful serve --demo` on a free port
// of 127.0.0.1 with a throwaway SQLite database, and Debian's chromium
// driven by playwright-core. It builds nothing: BLAMEFUL_BIN names the
// binary (e2e/run builds it with go build -o).
//
// Every wait is bounded, and stop() kills the server by its PID and closes
// the browser even when a test failed, so a broken page cannot hang CI.

import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

/** Where screenshots go; e2e/run empties it before a run. */
export const screenshotDir = join(here, 'screenshots');

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

// Bounds, in milliseconds. The demo load dominates start-up (about 5 s on
// two cores); the rest should take well under a second each.
const startupMs = 90_000;
const actionMs = 15_000;
const stopMs = 10_000;

/** Impacts that fail a page's accessibility check. */
const failingImpacts = new Set(['serious', 'critical']);

/**
 * start runs the server and the browser and returns the helpers the tests
 * use. Call stop() in an after() hook; it is safe to call more than once and
 * after a failed start.
 */
export async function start({ oidcUsers = null } = {}) {
  const bin = process.env.BLAMEFUL_BIN;
  if (!bin) {
    throw new Error('BLAMEFUL_BIN is not set: build the binary (go build -o DIR/blameful ./cmd/blameful) and point BLAMEFUL_BIN at it, or use bash e2e/run');
  }
  const h = new Harness();
  try {
    h.tmp = await mkdtemp(join(tmpdir(), 'blameful-e2e-'));
    if (oidcUsers) {
      await h.startProvider(oidcUsers);
    }
    await h.startServer(bin);
    await h.startBrowser();
  } catch (err) {
    await h.stop();
    throw err;
  }
  return h;
}

class Harness {
  constructor() {
    /** The server's base URL, http://127.0.0.1:PORT. */
    this.baseURL = '';
    /**
     * The demo logins serve printed, by role word ("engineer", "leader",
     * "admin", or "user" when the line names none): {email, password, url}.
     * Empty until the demo prints them.
     */
    this.logins = {};
    this.serverOutput = '';
    this.server = null;
    /** The OpenID provider, when start was given oidcUsers, and its issuer URL. */
    this.provider = null;
    this.issuer = '';
    this.serverPort = 0;
    this.browser = null;
    this.context = null;
    this.tmp = '';
    this.axeSource = null;
    /** Problems the browser reported per page: CSP violations, uncaught errors. */
    this.pageProblems = new WeakMap();
  }

  /**
   * startProvider runs the OpenID provider BLAMEFUL_OIDC_PROVIDER names
   * (the example server of github.com/zitadel/oidc; e2e/run builds it) with
   * users, a map of id to {Username, Password, Email, EmailVerified, …}
   * as its USERS_FILE wants them, for a blameful served on a port chosen
   * here. The server then starts with --oidc-* pointing at it.
   */
  async startProvider(users) {
    const bin = process.env.BLAMEFUL_OIDC_PROVIDER;
    if (!bin) {
      throw new Error('BLAMEFUL_OIDC_PROVIDER is not set: build the provider (GOBIN=DIR go install github.com/zitadel/oidc/v3/example/server@v3.52.0) and point it at DIR/server, or use bash e2e/run');
    }
    this.serverPort = await freePort();
    const port = await freePort();
    this.issuer = `http://localhost:${port}/`;
    const usersFile = join(this.tmp, 'oidc-users.json');
    await writeFile(usersFile, JSON.stringify(users));
    await writeFile(join(this.tmp, 'oidc-secret'), 'secret\n');
    this.provider = spawn(bin, [], {
      cwd: this.tmp,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PORT: String(port), USERS_FILE: usersFile,
        REDIRECT_URI: `http://127.0.0.1:${this.serverPort}/auth/oidc/callback` },
    });
    const pid = this.provider.pid;
    const orphanGuard = () => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } };
    process.once('exit', orphanGuard);
    this.providerExited = new Promise((resolve) => this.provider.once('exit', () => { process.off('exit', orphanGuard); resolve(); }));
    let providerOutput = '';
    this.provider.stderr.on('data', (chunk) => { providerOutput = (providerOutput + chunk).slice(-4000); });
    const deadline = Date.now() + startupMs;
    while (Date.now() < deadline) {
      if (this.provider.exitCode !== null) throw new Error(`the OpenID provider exited (${this.provider.exitCode}):\n${providerOutput}`);
      try {
        const res = await fetch(`${this.issuer}.well-known/openid-configuration`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the OpenID provider did not serve discovery within ${startupMs / 1000}s:\n${providerOutput}`);
  }

  async startServer(bin) {
    const db = `sqlite:${join(this.tmp, 'e2e.db')}`;
    this.bin = bin;
    this.db = db;
    const args = ['serve', '--demo', '--addr', `127.0.0.1:${this.serverPort || 0}`, '--db', db];
    if (this.issuer) {
      args.push('--oidc-issuer', this.issuer, '--oidc-client-id', 'web', '--oidc-client-secret-file', join(this.tmp, 'oidc-secret'));
    }
    this.server = spawn(bin, args, {
      cwd: this.tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BLAMEFUL_LOG_FORMAT: 'text' },
    });
    // Should the test process die without running stop(), take the
    // server with it rather than leave it listening.
    const pid = this.server.pid;
    const orphanGuard = () => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } };
    process.once('exit', orphanGuard);
    const exited = new Promise((resolve) => this.server.once('exit', (code, signal) => {
      process.off('exit', orphanGuard);
      resolve({ code, signal });
    }));
    this.serverExited = exited;
    let stdout = '';
    const serving = new Promise((resolve) => {
      this.server.stdout.on('data', (chunk) => {
        stdout += chunk;
        this.serverOutput += chunk;
        const m = stdout.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) resolve(m[1]);
      });
    });
    this.server.stderr.on('data', (chunk) => { this.serverOutput += chunk; });
    const url = await bounded(
      Promise.race([
        serving,
        exited.then(({ code, signal }) => { throw new Error(`blameful serve exited (${signal || code}) before serving:\n${this.outputTail()}`); }),
      ]),
      startupMs,
      () => `blameful serve printed no "serving on" line within ${startupMs / 1000}s:\n${this.outputTail()}`,
    );
    this.baseURL = url;
    await this.waitHealthy();
    // The login lines may come just before or after "serving on"; by the
    // time /healthz has answered, both have been read.
    this.logins = parseLogins(this.serverOutput, this.baseURL);
  }

  // waitHealthy polls /healthz until it answers 200, within startupMs.
  async waitHealthy() {
    const deadline = Date.now() + startupMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.server.exitCode !== null) {
        throw new Error(`blameful serve exited (${this.server.exitCode}) while starting:\n${this.outputTail()}`);
      }
      try {
        const res = await fetch(`${this.baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        last = `status ${res.status}`;
      } catch (err) {
        last = err.message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`/healthz did not answer 200 within ${startupMs / 1000}s (last: ${last}):\n${this.outputTail()}`);
  }

  async startBrowser() {
    this.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: chromiumArgs,
      timeout: 30_000,
    });
    this.context = await this.newContext();
  }

  /**
   * newContext returns a fresh browser context (its own cookies) bound to
   * the server. Tests that log in as someone use their own context.
   * allowOrigins lists other origins the pages may reach, such as a local
   * OpenID provider; every other request is refused.
   */
  async newContext({ allowOrigins = [], ...options } = {}) {
    const ctx = await this.browser.newContext({
      baseURL: this.baseURL,
      viewport: { width: 1280, height: 800 },
      ...options,
    });
    ctx.setDefaultTimeout(actionMs);
    ctx.setDefaultNavigationTimeout(actionMs);
    // Only the server under test: a page reaching anywhere else is a bug
    // (and there is no network to reach it anyway).
    const allowed = new Set([new URL(this.baseURL).origin, ...allowOrigins.map((o) => new URL(o).origin)]);
    await ctx.route((url) => url.protocol !== 'data:' && !allowed.has(url.origin), (route) => route.abort('blockedbyclient'));
    return ctx;
  }

  /**
   * page opens path in a new tab of context (the harness's own context by
   * default) and waits until it has loaded. It returns the Playwright page
   * and the main response (after redirects); CSP violations and uncaught
   * script errors on the page are collected for problems(page).
   */
  async page(path, context = this.context) {
    const page = await context.newPage();
    const problems = [];
    this.pageProblems.set(page, problems);
    page.on('pageerror', (err) => problems.push(`uncaught error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
    const response = await page.goto(path, { waitUntil: 'load' });
    return { page, response };
  }

  /** problems returns what the browser reported wrong on page so far. */
  problems(page) {
    return this.pageProblems.get(page) || [];
  }

  /**
   * screenshot saves a full-page PNG of page as screenshots/NAME.png and
   * returns its path.
   */
  async screenshot(page, name, { fullPage = true } = {}) {
    await mkdir(screenshotDir, { recursive: true });
    const file = join(screenshotDir, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
    await page.screenshot({ path: file, fullPage, animations: 'disabled' });
    return file;
  }

  /**
   * axe runs axe-core on page and returns every violation. It throws, with
   * one line per failing rule and node, when any is serious or critical.
   *
   * axe is evaluated through the DevTools protocol rather than added as an
   * inline <script>: the pages' Content-Security-Policy (rightly) refuses
   * inline script, and turning CSP off for the tests would hide the
   * violations problems(page) is there to catch.
   */
  async axe(page) {
    if (this.axeSource === null) {
      this.axeSource = await readFile(join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
    }
    const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!loaded) {
      await page.evaluate(this.axeSource);
    }
    const results = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
      }));
    });
    const failing = results.filter((v) => failingImpacts.has(v.impact));
    if (failing.length > 0) {
      throw new Error(`accessibility: ${failing.length} serious or critical violation(s) on ${page.url()}\n${summarize(failing)}`);
    }
    return results;
  }

  /**
   * check screenshots page as NAME and holds it to the suite's bar: no
   * serious accessibility violation, and nothing the browser reported
   * wrong (CSP violations, uncaught errors).
   */
  async check(page, name) {
    await this.screenshot(page, name);
    await this.axe(page);
    const problems = this.problems(page);
    if (problems.length > 0) {
      throw new Error(`${name}: the browser reported problems:\n${problems.join('\n')}`);
    }
  }

  /**
   * login signs in through the login form as who (a key of logins) in a
   * new context, and returns that context. Pressing Enter in the password
   * field submits the form, so the login works from the keyboard.
   */
  async login(who) {
    const cred = this.logins[who];
    if (!cred) throw new Error(`no demo login for "${who}" (have: ${Object.keys(this.logins).join(', ') || 'none'})`);
    return this.loginWith(cred);
  }

  /** loginWith signs in with {email, password} in a new context, as login does. */
  async loginWith(cred) {
    const ctx = await this.newContext();
    const { page, response } = await this.page('/login', ctx);
    if (!response || response.status() !== 200) {
      throw new Error(`GET /login answered ${response && response.status()}`);
    }
    await page.locator('input[name="email"]').fill(cred.email);
    await page.locator('input[name="password"]').fill(cred.password);
    await Promise.all([
      page.waitForURL((u) => u.pathname !== '/login', { waitUntil: 'load' }),
      page.locator('input[name="password"]').press('Enter'),
    ]).catch(async (err) => {
      const text = (await page.locator('main').innerText().catch(() => '')).slice(0, 300);
      throw new Error(`logging in as ${cred.email} did not leave /login (${err.message.split('\n')[0]}); the page says: ${text}`);
    });
    await page.close();
    return ctx;
  }

  /**
   * cli runs the binary's command line on the server's database (SQLite
   * lets both work on the file at once) and returns what it printed.
   */
  async cli(...args) {
    return bounded(new Promise((resolve, reject) => {
      execFile(this.bin, args, { cwd: this.tmp, env: { ...process.env, BLAMEFUL_DB: this.db } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`blameful ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    }), actionMs, () => `blameful ${args.join(' ')} took more than ${actionMs / 1000}s`);
  }

  /** api calls the JSON API with a bearer token and returns the decoded body. */
  async api(token, method, path, body) {
    const res = await fetch(this.baseURL + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(actionMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** outputTail returns the last lines the server wrote, for error messages. */
  outputTail(lines = 30) {
    return this.serverOutput.trimEnd().split('\n').slice(-lines).map((l) => `  | ${l}`).join('\n');
  }

  /**
   * stop closes the browser and kills the server by its PID (SIGTERM, then
   * SIGKILL after stopMs), each bounded, and removes the temporary
   * directory, unless BLAMEFUL_E2E_KEEP is set: then it keeps it, with the
   * server's output in server.log, for a look after a failure.
   */
  async stop() {
    if (this.browser) {
      const browser = this.browser;
      this.browser = null;
      await bounded(browser.close(), stopMs, () => 'closing chromium timed out').catch((err) => console.error(err.message));
    }
    if (this.server && this.server.exitCode === null && this.server.signalCode === null) {
      const pid = this.server.pid;
      process.kill(pid, 'SIGTERM');
      const stopped = await bounded(this.serverExited, stopMs, () => 'timeout').then(() => true, () => false);
      if (!stopped) {
        console.error(`blameful serve (pid ${pid}) ignored SIGTERM for ${stopMs / 1000}s; killing it`);
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
        await bounded(this.serverExited, stopMs, () => 'timeout').catch(() => {});
      }
    }
    if (this.provider && this.provider.exitCode === null && this.provider.signalCode === null) {
      try { process.kill(this.provider.pid, 'SIGKILL'); } catch { /* already gone */ }
      await bounded(this.providerExited, stopMs, () => 'timeout').catch(() => {});
    }
    if (this.tmp) {
      if (process.env.BLAMEFUL_E2E_KEEP) {
        await writeFile(join(this.tmp, 'server.log'), this.serverOutput);
        console.error(`kept ${this.tmp} (server.log, e2e.db)`);
      } else {
        await rm(this.tmp, { recursive: true, force: true });
      }
      this.tmp = '';
    }
  }
}

/**
 * parseLogins finds the demo logins in serve's output: lines such as
 * "Log in at http://…/login as ada@example.com with password s3cret" with
 * a role word (engineer, leader, admin, hr, member) anywhere on the line.
 * Lines it cannot read are ignored; the tests that need a login then skip.
 */
export function parseLogins(output, baseURL) {
  const logins = {};
  for (const line of output.split('\n')) {
    if (!/log\s*in/i.test(line) || !/password/i.test(line)) continue;
    const email = line.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
    const password = line.match(/password[:\s]+["'`]?([^\s"'`]+?)["'`]?[.,;)]?(?:\s|$)/i);
    if (!email || !password) continue;
    const url = (line.match(/https?:\/\/\S+?(?=[\s,;)]|$)/) || [`${baseURL}/login`])[0];
    const role = (line.match(/\b(engineer|leader|admin|hr|member)\b/i) || ['user'])[0].toLowerCase();
    if (!logins[role]) logins[role] = { email: email[0], password: password[1], url };
  }
  return logins;
}

// freePort asks the system for a free TCP port on 127.0.0.1.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// bounded rejects with message() when p has not settled within ms.
function bounded(p, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message())), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// summarize lists axe violations one rule per paragraph, at most five
// nodes each, so a failure reads without opening a report.
function summarize(violations) {
  return violations.map((v) => {
    const nodes = v.nodes.slice(0, 5).map((n) => `    at ${n.target}: ${n.summary.replace(/\s+/g, ' ')}`);
    if (v.nodes.length > 5) nodes.push(`    … and ${v.nodes.length - 5} more`);
    return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes.join('\n')}`;
  }).join('\n');
}
