import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startRuntime, type Runtime, type RuntimeOptions } from '../../local/runtime.ts';
import { SCHEDULES } from '../../workflows/index.ts';

export const DEMO_DATASET = fileURLToPath(new URL('../../local/demo-dataset.json', import.meta.url));

/** The demo patrons the tests use, as the dataset has them. */
export const ADA = {
  id: 'P1001',
  cardNumber: '21234000012345',
  lastName: 'Lovelace',
  firstName: 'Ada',
  email: 'ada@example.org',
};

/** A demo patron with no email on file: verified in person at the desk (R4). */
export const HAROLD = { id: 'P1002', cardNumber: '21234000011002', lastName: 'Jenkins', firstName: 'Harold' };

/** The demo dataset's staff: a staff task goes to everyone in the role; the first of each is who tests act as. */
export const OFFICERS = ['privacy@library.example', 'owen.gallagher@library.example'];
export const CIRCULATION = [
  'circulation@library.example',
  'lucia.ferreira@library.example',
  'owen.gallagher@library.example',
];
export const OFFICER = 'privacy@library.example';
export const DESK = 'circulation@library.example';

export interface TestRuntime extends Runtime {
  mail: Mailbox;
  cleanup(): Promise<void>;
}

/**
 * The scheduled functions a test runtime runs on its timer: all but the daily retention run (R16),
 * which would anonymise the demo dataset's older loans under other tests as the calendar moves on.
 * test/workflows/retention.test.ts starts it itself.
 */
export const TEST_SCHEDULES = SCHEDULES.map((s) => s.fn).filter((fn) => fn !== 'start-retention');

/** The whole local runtime, in memory, on free ports, with short retry pauses. */
export async function startTestRuntime(opts: Partial<RuntimeOptions> = {}): Promise<TestRuntime> {
  const filesDir = await mkdtemp(join(tmpdir(), 'privacy-desk-files-'));
  const runtime = await startRuntime({
    port: 0,
    mailPort: 0,
    filesDir,
    datasetPath: DEMO_DATASET,
    retryPauseMs: 20,
    scheduleIntervalMs: 100,
    schedules: TEST_SCHEDULES,
    ...opts,
  });
  // The local SES keeps mail in one module-wide store: start each runtime with an empty mailbox.
  await fetch(`${runtime.mailUrl}/clear-store`, { method: 'POST' });
  return {
    ...runtime,
    mail: new Mailbox(runtime.mailUrl),
    async cleanup() {
      await runtime.stop();
      await rm(filesDir, { recursive: true, force: true });
    },
  };
}

const emailSchema = z.object({
  messageId: z.string(),
  destination: z.object({ to: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
});
export type SentEmail = z.infer<typeof emailSchema>;

/** Reads what the local SES received, through its own `/store` page, as a person would look. */
export class Mailbox {
  constructor(readonly url: string) {}

  async all(): Promise<SentEmail[]> {
    const res = await fetch(`${this.url}/store`);
    return z.object({ emails: z.array(emailSchema) }).parse(await res.json()).emails;
  }

  async to(address: string): Promise<SentEmail[]> {
    return (await this.all()).filter((e) => e.destination.to.includes(address));
  }

  /** Waits for the n-th email to `address` whose subject matches. */
  async waitFor(address: string, subject: RegExp, n = 1, timeoutMs = 20_000): Promise<SentEmail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.to(address)).filter((e) => subject.test(e.subject));
      if (found.length >= n) return found[n - 1] as SentEmail;
      if (Date.now() > deadline) throw new Error(`no email "${subject}" #${n} to ${address} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The first `{base}/act/…` or `{base}/download/…` link in an email's text. */
export function linkIn(email: SentEmail, kind: 'act' | 'download'): string {
  const m = new RegExp(`https?://[^\\s"<]+/${kind}/[A-Za-z0-9_-]+`).exec(email.body.text ?? '');
  if (!m) throw new Error(`no ${kind} link in "${email.subject}"`);
  return m[0];
}

/** Polls until `check` returns a value (not undefined) or time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The request's `request-denied` event, once appended: the deny step sets the status and sends the
 * requester's email first, so a test that saw either may read the trail before the event is on it.
 */
export const deniedEvent = (runtime: Pick<Runtime, 'deps'>, requestId: string) =>
  eventually(
    async () => (await runtime.deps.audit.list(requestId)).find((e) => e.type === 'request-denied'),
    10_000,
    'the request-denied event',
  );

export async function submit(runtime: Runtime, body: Record<string, unknown>) {
  const res = await fetch(`${runtime.baseUrl}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { requestId: string; status: string; statusUrl: string } };
}

export type StatusView = { status: string; requestId: string; kind: string; outcome?: unknown };

export async function statusOf(runtime: Runtime, statusUrl: string): Promise<StatusView> {
  const res = await fetch(`${runtime.baseUrl}${statusUrl}`);
  return (await res.json()) as StatusView;
}

/** Waits for a request to reach `status`, read through its public status URL. */
export async function waitForStatus(runtime: Runtime, statusUrl: string, status: string, timeoutMs = 20_000) {
  return eventually(
    async () => {
      const s = await statusOf(runtime, statusUrl);
      return s.status === status ? s : undefined;
    },
    timeoutMs,
    `status ${status}`,
  );
}
