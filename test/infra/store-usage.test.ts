import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS_DIR } from '../../infra/paths.ts';
import { bundleDefines } from '../../infra/privacy-desk-stack.ts';
import { OPTIONAL_PARTS, partDefines, partFlag, partsReached } from '../../infra/store-usage.ts';
import { FUNCTION_ACCESS, FUNCTIONS } from '../../workflows/index.ts';

describe('which stores and connector operations a function is built with: the ones its code names (infra/store-usage.ts)', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    // A handler, the modules it imports, and a composition root that imports every store.
    dir = await mkdtemp(join(tmpdir(), 'pd-store-usage-'));
    await mkdir(join(dir, 'app'));
    const files: Record<string, string> = {
      'deps.ts': "import { everything } from './app/everything.ts';\nexport const lambdaEntry = everything;",
      'app/everything.ts':
        'export const everything = (d: Record<string, unknown>) => [d.tokens, d.orders, d.people, d.audit];',
      'app/tokens.ts': 'export const close = (deps: { tokens: unknown }) => deps.tokens;',
      'app/optional.ts': 'export const orders = (deps?: { orders: unknown }) => deps?.orders;',
      'app/destructured.ts': 'export const results = ({ systemResults: r }: { systemResults: unknown }) => r;',
      'app/keyed.ts': "export const emails = (deps: Record<string, unknown>) => deps['sentEmails'];",
      'app/type-only.ts': 'export type WithHolds = { holds: unknown };\nexport const h = (d: WithHolds) => d.holds;',
      'app/people.ts': 'export const find = (deps: { people: unknown }) => deps.people;',
      'handler.ts': [
        "import { lambdaEntry } from './deps.ts';",
        "import { close } from './app/tokens.ts';",
        "export { orders } from './app/optional.ts';",
        "import { results } from './app/destructured.ts';",
        "import { emails } from './app/keyed.ts';",
        "import type { WithHolds } from './app/type-only.ts';",
        'export const handler = lambdaEntry([close, results, emails]);',
        'export type H = WithHolds;',
      ].join('\n'),
      'people-handler.ts': "import { find } from './app/people.ts';\nexport const handler = find;",
    };
    for (const [name, text] of Object.entries(files)) await writeFile(file(name), text);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts a store named through a property, an optional chain, a re-export, a destructuring or a string key', () => {
    expect(partsReached(file('handler.ts'), file('deps.ts'))).toEqual([
      'tokens',
      'orders',
      'sentEmails',
      'systemResults',
    ]);
  });

  it('does not go through a type-only import, nor through the composition root, which names every store', () => {
    const reached = partsReached(file('handler.ts'), file('deps.ts'));
    expect(reached).not.toContain('holds');
    expect(reached).not.toContain('people');
    expect(reached).not.toContain('audit');
  });

  it('a store brings what buildDeps builds it from: the patron directory its records and connectors, those the legal holds (R13)', () => {
    expect(partsReached(file('people-handler.ts'), file('deps.ts'))).toEqual([
      'holds',
      'records',
      'people',
      'connector',
    ]);
  });

  it('turns what is reached into one esbuild define per optional store, "true" or "false"', () => {
    expect(partFlag('sentEmails')).toBe('PD_BUNDLE_USES_SENT_EMAILS');
    const defines = bundleDefines(FUNCTION_ACCESS['task-set-status'], false, join(HANDLERS_DIR, 'task-set-status.ts'));
    expect(defines['process.env.PD_BUNDLE_USES_TOKENS']).toBe('"true"');
    expect(defines['process.env.PD_BUNDLE_USES_ORDERS']).toBe('"false"');
    expect(Object.keys(partDefines(file('handler.ts')))).toHaveLength(OPTIONAL_PARTS.length);
  });

  it('shows which function is built with which store: a change here is a change in what a bundle carries', () => {
    const table = Object.fromEntries(
      FUNCTIONS.map((name) => [name, partsReached(join(HANDLERS_DIR, `${name}.ts`)).join(' ')]),
    );
    expect(table).toMatchInlineSnapshot(`
      {
        "act": "tokens orders sentEmails systemResults holds records people connector audit",
        "api-court-orders": "orders holds records people connector audit",
        "api-requests": "tokens systemResults audit",
        "api-staff": "tokens sentEmails systemResults holds records people connector audit",
        "copy-audit-heads": "audit",
        "download": "tokens audit",
        "start-retention": "records",
        "sweep-court-order-documents": "orders holds audit",
        "sweep-deadlines": "tokens sentEmails systemResults records audit",
        "sweep-disclosure-notices": "orders sentEmails holds records people connector audit",
        "sweep-due-dates": "records audit",
        "sweep-legal-holds": "orders holds records audit",
        "sweep-unstarted-requests": "audit",
        "sweep-waiting-systems": "tokens sentEmails systemResults records audit",
        "task-apply-correction": "tokens sentEmails systemResults holds records people connector audit",
        "task-approval-lapsed": "sentEmails records audit",
        "task-await-system": "tokens sentEmails systemResults records audit",
        "task-build-access-report": "tokens sentEmails systemResults holds records people connector audit",
        "task-build-court-disclosure": "tokens orders sentEmails systemResults holds records people connector audit",
        "task-build-deletion-plan": "holds records people connector audit",
        "task-build-disclosure-package": "tokens sentEmails systemResults holds records people connector audit",
        "task-build-export": "tokens sentEmails systemResults holds records people connector audit",
        "task-build-guardian-report": "tokens sentEmails systemResults holds records people connector audit",
        "task-confirm-outreach-opt-out": "tokens sentEmails systemResults holds records people connector audit",
        "task-court-order-close": "tokens orders records audit",
        "task-deny": "tokens sentEmails holds records people connector audit",
        "task-finish-retention": "holds",
        "task-match-guardian": "holds records people connector audit",
        "task-match-patron": "holds records people connector audit",
        "task-notify-court-disclosure": "orders sentEmails holds records people connector audit",
        "task-plan-retention": "holds records connector anonymiseBefore expiredPatrons",
        "task-plan-systems": "orders systemResults",
        "task-prepare-correction": "holds records people connector audit",
        "task-purge-expired": "holds records connector audit erase checkBlockers expiredPatrons purgeRead purgeErase",
        "task-reach-system": "orders systemResults holds records people connector audit erase",
        "task-record-deletion-progress": "sentEmails systemResults holds records audit",
        "task-record-failure": "tokens sentEmails records audit",
        "task-record-guardian-link": "sentEmails holds records people connector audit",
        "task-record-system-trouble": "tokens sentEmails systemResults records audit",
        "task-request-approval": "tokens sentEmails records audit",
        "task-request-consent": "tokens sentEmails holds records people connector audit",
        "task-request-email-confirmation": "tokens sentEmails records audit",
        "task-request-guardian-link": "tokens sentEmails records audit",
        "task-request-phone-confirmation": "tokens sentEmails records audit",
        "task-request-system-task": "tokens sentEmails systemResults records audit",
        "task-request-verification": "tokens sentEmails holds records people connector audit",
        "task-retention-staff-tasks": "sentEmails records audit",
        "task-send-deletion-outcome": "sentEmails systemResults holds records audit",
        "task-set-status": "tokens records audit",
        "task-sweep-loans": "holds records connector anonymiseBefore",
        "task-tombstone-requests": "holds audit",
      }
    `);
  });
});
