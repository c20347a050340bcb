import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Browser tests drive Debian's Chromium (`apt-get install chromium`, /usr/bin/chromium) through
 * playwright-core, never a browser Playwright downloads. Without Chromium they are skipped, and
 * say so once.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM)
  console.warn(
    `test/browser: SKIPPED, no Chromium at ${CHROMIUM}. Install it with: apt-get update && apt-get install -y --no-install-recommends chromium`,
  );

/** The flags the machine probe uses: headless, and no calls home (the network here is closed). */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Playwright gives each launch a fresh, empty profile (user data dir) of its own. */
export const launch = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 667 };

/**
 * A browsing context whose pages record JavaScript errors. CSP is bypassed only so that axe-core
 * can be injected into the server-rendered pages, whose policy (rightly) allows no inline script.
 */
export async function context(browser: Browser, viewport = DESKTOP): Promise<BrowserContext> {
  return browser.newContext({
    viewport,
    bypassCSP: true,
    acceptDownloads: true,
    ...(viewport === PHONE ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions and console errors, other than the browser's own "failed to load" lines for a 4xx answer a test asked for. */
  errors: string[];
}

export async function open(ctx: BrowserContext): Promise<WatchedPage> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeResult {
  url: string;
  serious: { id: string; impact: string; help: string; targets: string[] }[];
  minor: { id: string; impact: string; count: number }[];
}

/** Every axe-core result, kept for the summary the tests print at the end. */
export const axeLog: AxeResult[] = [];

/**
 * Injects axe-core and runs every rule (WCAG 2.x A and AA, and best practice) on the page as it is
 * now; asserts that nothing serious or critical is found.
 */
export async function checkAxe(page: Page, label = page.url()): Promise<AxeResult> {
  // Page scripts are given as text: this project's TypeScript has no DOM types.
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.addScriptTag({ content: AXE_SOURCE });
  type Violation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };
  const violations = await page.evaluate<Violation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  );
  const result: AxeResult = {
    url: label
      .replace(/\/act\/[A-Za-z0-9_-]+/, '/act/…')
      .replace(/#[A-Za-z0-9_-]+$/, '')
      .replace(/\/download\/[A-Za-z0-9_-]+/, '/download/…')
      .replace(/^https?:\/\/[^/]+/, ''),
    serious: violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })),
    minor: violations
      .filter((v) => v.impact !== 'serious' && v.impact !== 'critical')
      .map((v) => ({ id: v.id, impact: v.impact ?? 'unknown', count: v.nodes.length })),
  };
  axeLog.push(result);
  expect(result.serious, `axe on ${result.url}`).toEqual([]);
  return result;
}

/** Usable on a phone: nothing makes the page scroll sideways. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
    '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
  );
  expect(scroll, `horizontal scroll on ${page.url()}`).toBeLessThanOrEqual(client);
}

/** `expect.poll` with room for a loaded CI machine: the page waits on the API, the workflows and the mailbox. */
export const poll = <T>(fn: () => T | Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout, interval: 50 });

/** Per-test time for flows that cross several emails and workflow steps. */
export const FLOW_TIMEOUT = 120_000;

/** One line per page checked, for the test output. */
export function axeSummary(): string {
  return axeLog
    .map(
      (r) =>
        `${r.url}: ${r.serious.length} serious/critical${r.minor.length ? `; minor: ${r.minor.map((m) => `${m.id} (${m.impact}, ${m.count})`).join(', ')}` : ''}`,
    )
    .join('\n');
}

/**
 * R12: opens an emailed approval link (`/approval.html#…`) and signs in there as `email` in `role`,
 * with the local runtime's form, as a member of staff does; the page then asks the API for the approval.
 */
export async function signInForApproval(page: Page, link: string, email: string, role: string): Promise<void> {
  await page.goto(link);
  await page.getByRole('button', { name: 'Get a local token', exact: true }).waitFor();
  await page.fill('#local-email', email);
  await page.selectOption('#local-role', role);
  await page.getByRole('button', { name: 'Get a local token', exact: true }).click();
}
