/**
 * What a request costs in AWS, counted, not guessed (README, "What it costs").
 *
 *   npx tsx scripts/count-request-costs.ts [--json]
 *
 * Starts the local runtime in memory (the same handlers, ASL files and DynamoDB layout as in AWS),
 * takes one access request (with its report download) and one deletion through to completion by
 * following the emailed links, as a patron and the privacy officer would, and counts what AWS
 * bills for:
 *  - state transitions: every state the execution entered (Step Functions Standard bills each);
 *  - Lambda invocations: every handler call, HTTP and Task, timed;
 *  - DynamoDB read and write request units: every call the handlers make, with
 *    ReturnConsumedCapacity, plus the GSI writes DynamoDB adds (both tables project ALL into
 *    gsi1 and gsi2), worked out from the item before and after each write. The local engine's own
 *    checkpoints (EXEC# items) and the local TTL sweep (Scan) are left out: Step Functions and
 *    DynamoDB TTL do that in AWS, free;
 *  - emails sent (the local SES mailbox), S3 requests (the file store), HTTP requests (API
 *    Gateway, CloudFront, WAF) and the log bytes all of that writes.
 * Then it prices each at the list prices below and prints a table per 1,000 requests.
 *
 * Counting needs no change to local/runtime.ts: the script wraps the runtime's DynamoDB client
 * and file store, and the function table the engine and HTTP server share, after start. A
 * `wrapFunctions` / `wrapDb` option in RuntimeOptions would make that explicit.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { FUNCTIONS, SCHEDULES, WORKFLOWS, type FunctionName, type WorkflowName } from '../workflows/index.ts';
import { TABLE_KEYS } from '../functions/adapters/dynamodb/keys.ts';
import { settingsFor } from '../infra/constructs/function-settings.ts';
import { WAF_MANAGED_RULE_GROUPS } from '../infra/edge-stack.ts';
import type { TaskFunction } from '../local/engine.ts';
import { RECORDS_TABLE, REQUESTS_TABLE } from '../local/runtime.ts';
import { ADA, linkIn, startTestRuntime, type TestRuntime } from '../test/support/runtime.ts';

/**
 * List prices, us-east-1, as published on the AWS pricing pages (on-demand, no free tier, no
 * Savings Plans). Assumed as of 2026-11-28; check them before budgeting.
 */
export const PRICES = {
  asOf: '2026-11-28',
  region: 'us-east-1',
  /** Step Functions Standard: $0.025 per 1,000 state transitions. */
  stateTransition: 0.025 / 1000,
  /** Lambda: $0.20 per 1M requests. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64: $0.0000133334 per GB-second (INIT is billed too since 2025-08-01). */
  lambdaGbSecond: 0.0000133334,
  /** DynamoDB on-demand (since the 2024-11 price cut): $0.625 per 1M write request units. */
  dynamoWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: $0.125 per 1M read request units. */
  dynamoReadUnit: 0.125 / 1e6,
  /** SES outbound: $0.10 per 1,000 emails. */
  email: 0.1 / 1000,
  /** S3 Standard: $0.005 per 1,000 PUT/POST/LIST, $0.0004 per 1,000 GET. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /** API Gateway HTTP API: $1.00 per 1M requests (first 300M). */
  apiRequest: 1.0 / 1e6,
  /** CloudFront: $0.0100 per 10,000 HTTPS requests (US/EU); data out $0.085/GB (first 10 TB). */
  cloudFrontRequest: 0.01 / 10000,
  cloudFrontGb: 0.085,
  /** WAF: $0.60 per 1M requests inspected. */
  wafRequest: 0.6 / 1e6,
  /** CloudWatch Logs: $0.50 per GB ingested (standard and vended). */
  logGb: 0.5,
  /** X-Ray: $5.00 per 1M traces recorded. */
  trace: 5 / 1e6,
  /** KMS: $0.03 per 10,000 requests. */
  kmsRequest: 0.03 / 10000,
  // Fixed, per month:
  kmsKeyMonth: 1,
  wafAclMonth: 5,
  wafRuleMonth: 1,
  secretMonth: 0.4,
  alarmMonth: 0.1,
  customMetricMonth: 0.3,
  /** Cognito Plus: $0.02 per monthly active user. */
  cognitoPlusMau: 0.02,
  /** CloudWatch dashboards: $3 each beyond the first 3 free. */
  dashboardMonth: 3,
} as const;

/**
 * What the local run cannot measure, assumed:
 * - a library's traffic is light, so most invocations start cold: 500 ms billed each (INIT plus
 *   work) at the function's configured memory;
 * - log bytes: 450 per Lambda invocation (START/END/REPORT and a line or two), 1,800 per state
 *   transition (Step Functions logs ALL: entered, scheduled, started, succeeded, exited, with
 *   ids-only data), 400 per API access-log line;
 * - KMS: DynamoDB, S3 (bucket keys) and Step Functions cache data keys for minutes; at low traffic
 *   they rarely hit, so one KMS request per invocation and per execution;
 * - a patron loads 3 static files (page, form, styles; ~30 KB) besides the API calls counted.
 */
export const ASSUMED = {
  billedSecondsPerInvocation: 0.5,
  logBytesPerInvocation: 450,
  logBytesPerTransition: 1800,
  logBytesPerApiRequest: 400,
  staticRequestsPerPatronRequest: 3,
  staticBytesPerPatronRequest: 30_000,
  responseBytesPerApiRequest: 6_000,
  staffUsers: 10,
} as const;

interface Counts {
  transitions: number;
  executions: number;
  invocations: Partial<Record<FunctionName, number>>;
  gbSeconds: number;
  localMs: number;
  readUnits: number;
  writeUnits: number;
  dbCalls: number;
  emails: number;
  s3Puts: number;
  s3Gets: number;
  apiRequests: number;
}

const zero = (): Counts => ({
  transitions: 0,
  executions: 0,
  invocations: {},
  gbSeconds: 0,
  localMs: 0,
  readUnits: 0,
  writeUnits: 0,
  dbCalls: 0,
  emails: 0,
  s3Puts: 0,
  s3Gets: 0,
  apiRequests: 0,
});

// --- DynamoDB: consumed capacity, GSI writes included --------------------------------------------

type Item = Record<string, unknown>;

/** DynamoDB's item size rule: attribute names plus values (strings UTF-8, numbers ~ digits/2 + 1). */
function valueSize(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number' || typeof v === 'bigint') return Math.ceil(String(v).replace(/[-.]/g, '').length / 2) + 1;
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof Set) return [...v].reduce((n: number, x) => n + valueSize(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueSize(x), 0);
  if (typeof v === 'object')
    return 3 + Object.entries(v as Item).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + valueSize(x), 0);
  return 1;
}
const itemSize = (item: Item) => Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v), 0);
const writeUnitsOf = (item: Item) => Math.max(1, Math.ceil(itemSize(item) / 1024));

/** Extra write units DynamoDB spends keeping the GSIs (projection ALL) in step with one item write. */
function gsiWriteUnits(before: Item | undefined, after: Item | undefined): number {
  let units = 0;
  for (const index of TABLE_KEYS.indexes) {
    const keyOf = (i: Item | undefined) =>
      i && i[index.partitionKey] !== undefined && i[index.sortKey] !== undefined
        ? `${String(i[index.partitionKey])}\u0000${String(i[index.sortKey])}`
        : undefined;
    const was = keyOf(before);
    const is = keyOf(after);
    if (was === undefined && is === undefined) continue;
    if (was === undefined) units += writeUnitsOf(after!);
    else if (is === undefined) units += writeUnitsOf(before!);
    else if (was !== is) units += writeUnitsOf(before!) + writeUnitsOf(after!);
    else if (JSON.stringify(before) !== JSON.stringify(after)) units += writeUnitsOf(after!);
  }
  return units;
}

type Command = { input: Record<string, unknown>; constructor: { name: string } };
type Capacity = { CapacityUnits?: number };

/** The local engine's checkpoints stand in for Step Functions' own state: not billed as DynamoDB in AWS. */
const isEngineBookkeeping = (input: Record<string, unknown>): boolean => {
  const text = JSON.stringify(input.Key ?? input.Item ?? input.ExpressionAttributeValues ?? {});
  return text.includes('"EXEC#');
};

function countDb(db: DynamoDBDocumentClient, counts: () => Counts): void {
  const send = db.send.bind(db) as (c: unknown) => Promise<Record<string, unknown>>;
  const get = async (table: string, key: Item) =>
    (await send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item as Item | undefined;
  const keyOf = (item: Item) => ({
    [TABLE_KEYS.partitionKey]: item[TABLE_KEYS.partitionKey],
    [TABLE_KEYS.sortKey]: item[TABLE_KEYS.sortKey],
  });

  (db as unknown as { send: (c: Command) => Promise<unknown> }).send = async (command: Command) => {
    const kind = command.constructor.name;
    const input = command.input;
    if (kind === 'ScanCommand' || isEngineBookkeeping(input)) return send(command);
    const c = counts();
    c.dbCalls++;
    input.ReturnConsumedCapacity = 'INDEXES';

    // Writes: the item before and after, for the GSI writes DynamoDB adds.
    const writes: { table: string; key: Item }[] = [];
    if (kind === 'PutCommand') writes.push({ table: input.TableName as string, key: keyOf(input.Item as Item) });
    if (kind === 'UpdateCommand' || kind === 'DeleteCommand')
      writes.push({ table: input.TableName as string, key: input.Key as Item });
    if (kind === 'BatchWriteCommand') {
      for (const [table, requests] of Object.entries(
        input.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>,
      )) {
        for (const r of requests)
          writes.push({ table, key: r.PutRequest ? keyOf(r.PutRequest.Item) : r.DeleteRequest!.Key });
      }
    }
    const before = await Promise.all(writes.map((w) => get(w.table, w.key)));
    let result: Record<string, unknown>;
    try {
      result = await send(command);
    } catch (e) {
      // A failed conditional write is billed like a write of the item it checked.
      if (e instanceof Error && e.name === 'ConditionalCheckFailedException')
        c.writeUnits += before[0] ? writeUnitsOf(before[0]) : 1;
      throw e;
    }
    const after = await Promise.all(writes.map((w) => get(w.table, w.key)));
    const consumed = ([] as Capacity[]).concat((result.ConsumedCapacity as Capacity | Capacity[] | undefined) ?? []);
    const units = consumed.reduce((n, x) => n + (x.CapacityUnits ?? 0), 0);
    if (writes.length > 0)
      c.writeUnits += units + writes.reduce((n, _w, i) => n + gsiWriteUnits(before[i], after[i]), 0);
    else c.readUnits += units;
    return result;
  };
}

// --- Lambda: every handler call, HTTP and Task ---------------------------------------------------

function countFunctions(rt: TestRuntime, counts: () => Counts): void {
  // The record the engine and the HTTP server both read a handler from, per call.
  const table = (rt.engine as unknown as { opts: { functions: Record<FunctionName, TaskFunction> } }).opts.functions;
  for (const name of FUNCTIONS) {
    const handler = table[name];
    table[name] = async (event, context) => {
      const c = counts();
      c.invocations[name] = (c.invocations[name] ?? 0) + 1;
      c.gbSeconds += (settingsFor(name).memorySize / 1024) * ASSUMED.billedSecondsPerInvocation;
      const started = performance.now();
      try {
        return await handler(event, context);
      } finally {
        c.localMs += performance.now() - started;
      }
    };
  }
}

function countFiles(rt: TestRuntime, counts: () => Counts): void {
  const files = rt.deps.files;
  const wrap = <K extends 'put' | 'putStream' | 'delete' | 'exists' | 'download'>(
    method: K,
    kind: 's3Puts' | 's3Gets',
  ) => {
    const original = files[method].bind(files) as (...a: unknown[]) => Promise<unknown>;
    (files as unknown as Record<string, unknown>)[method] = async (...a: unknown[]) => {
      counts()[kind]++;
      return original(...a);
    };
  };
  wrap('put', 's3Puts');
  wrap('putStream', 's3Puts');
  wrap('delete', 's3Puts');
  wrap('exists', 's3Gets');
  // A download is a presigned GET in AWS: signing is free, the patron's GET is billed.
  wrap('download', 's3Gets');
}

// --- The two journeys -----------------------------------------------------------------------------

const OFFICER = 'privacy@library.example';
const YUKI = { cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };

/**
 * The journey being counted. The script waits on the mailbox and on the engine's own promise, which
 * touch neither DynamoDB nor a handler, so everything counted is the system's own work.
 */
const meter = { current: zero() };
const counts = (): Counts => meter.current;

/** A request the person makes: one API Gateway request, one invocation (counted by the wrapper). */
async function http(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  counts().apiRequests++;
  const res = await fetch(url, init);
  const body = await res.text();
  if (res.status >= 400)
    throw new Error(`${init?.method ?? 'GET'} ${new URL(url).pathname.split('/')[1]}: ${res.status}`);
  return { status: res.status, body };
}
const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function submitRequest(
  rt: TestRuntime,
  body: Record<string, unknown>,
): Promise<{ requestId: string; statusUrl: string }> {
  counts().apiRequests++;
  const res = await fetch(`${rt.baseUrl}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { requestId: string; statusUrl: string };
}

const waitForMail = (rt: TestRuntime, to: string, subject: RegExp) => rt.mail.waitFor(to, subject);

/** A patron's request, submitted and confirmed through the link emailed to them (R7), as they would. */
async function submitAndVerify(
  rt: TestRuntime,
  kind: 'access' | 'deletion',
  patron: { cardNumber: string; lastName: string; email: string },
): Promise<{ requestId: string; statusUrl: string }> {
  const submitted = await submitRequest(rt, { kind, cardNumber: patron.cardNumber, lastName: patron.lastName });
  const verify = await waitForMail(rt, patron.email, /confirm your privacy request/);
  await http(linkIn(verify, 'act')); // the page with the button
  await http(linkIn(verify, 'act'), form({ decision: 'confirm' }));
  return submitted;
}

async function accessJourney(rt: TestRuntime): Promise<WorkflowName> {
  const { requestId, statusUrl } = await submitAndVerify(rt, 'access', ADA);
  const ready = await waitForMail(rt, ADA.email, /are ready/);
  await http(linkIn(ready, 'download'));
  await finish(rt, 'access', requestId, statusUrl);
  return 'access';
}

async function deletionJourney(rt: TestRuntime): Promise<WorkflowName> {
  const { requestId, statusUrl } = await submitAndVerify(rt, 'deletion', YUKI);
  const decision = await waitForMail(rt, OFFICER, /Decision needed on a deletion plan/);
  await http(linkIn(decision, 'act'));
  await http(linkIn(decision, 'act'), form({ decision: 'approve' }));
  await waitForMail(rt, YUKI.email, /deletion request .* is complete/);
  await finish(rt, 'deletion', requestId, statusUrl);
  return 'deletion';
}

/** Waits for the execution's end, the patron looks at the status page once, then reads the history. */
async function finish(rt: TestRuntime, workflow: WorkflowName, requestId: string, statusUrl: string): Promise<void> {
  const executionId = `local:${workflow}:${requestId}`;
  await rt.engine.whenDone(executionId);
  const { status } = JSON.parse((await http(`${rt.baseUrl}${statusUrl}`)).body) as { status?: string };
  if (status !== 'completed') throw new Error(`${workflow} ended ${status}, not completed`);

  const c = counts();
  const definition = JSON.parse(
    readFileSync(new URL(`../workflows/${WORKFLOWS[workflow].file}`, import.meta.url), 'utf8'),
  ) as { States: Record<string, { Type: string }> };
  const entered = rt.engine.history(executionId).filter((e) => e.type === 'StateEntered');
  if (entered.length === 0) throw new Error(`no history for ${executionId}`);
  c.executions++;
  c.transitions += entered.length;
  // Every Task entered was one invocation, which the function wrapper counted.
  const tasks = entered.filter((e) => definition.States[e.state ?? '']?.Type === 'Task').length;
  const taskInvocations = Object.entries(c.invocations)
    .filter(([fn]) => fn.startsWith('task-'))
    .reduce((n, [, k]) => n + (k ?? 0), 0);
  if (taskInvocations < tasks)
    throw new Error(`${workflow}: ${tasks} Task states but ${taskInvocations} task invocations counted`);
}

// --- Pricing --------------------------------------------------------------------------------------

interface Line {
  item: string;
  perRequest: string;
  usd: number;
}

function price(c: Counts): Line[] {
  const invocations = Object.values(c.invocations).reduce((n, k) => n + (k ?? 0), 0);
  const staticRequests = ASSUMED.staticRequestsPerPatronRequest;
  const edgeRequests = c.apiRequests + staticRequests;
  const gbOut = (c.apiRequests * ASSUMED.responseBytesPerApiRequest + ASSUMED.staticBytesPerPatronRequest) / 1e9;
  const logBytes =
    invocations * ASSUMED.logBytesPerInvocation +
    c.transitions * ASSUMED.logBytesPerTransition +
    c.apiRequests * ASSUMED.logBytesPerApiRequest;
  const kms = invocations + c.executions;
  const traces = c.apiRequests + c.executions;
  return [
    {
      item: 'Step Functions state transitions',
      perRequest: `${c.transitions}`,
      usd: c.transitions * PRICES.stateTransition,
    },
    { item: 'Lambda requests', perRequest: `${invocations}`, usd: invocations * PRICES.lambdaRequest },
    {
      item: 'Lambda duration (GB-s, assumed 0.5 s each)',
      perRequest: c.gbSeconds.toFixed(2),
      usd: c.gbSeconds * PRICES.lambdaGbSecond,
    },
    {
      item: 'DynamoDB write request units',
      perRequest: c.writeUnits.toFixed(1),
      usd: c.writeUnits * PRICES.dynamoWriteUnit,
    },
    {
      item: 'DynamoDB read request units',
      perRequest: c.readUnits.toFixed(1),
      usd: c.readUnits * PRICES.dynamoReadUnit,
    },
    { item: 'SES emails', perRequest: `${c.emails}`, usd: c.emails * PRICES.email },
    {
      item: 'S3 requests (PUT/DELETE, GET)',
      perRequest: `${c.s3Puts}, ${c.s3Gets}`,
      usd: c.s3Puts * PRICES.s3Put + c.s3Gets * PRICES.s3Get,
    },
    { item: 'API Gateway requests', perRequest: `${c.apiRequests}`, usd: c.apiRequests * PRICES.apiRequest },
    {
      item: 'CloudFront requests and data out',
      perRequest: `${edgeRequests}`,
      usd: edgeRequests * PRICES.cloudFrontRequest + gbOut * PRICES.cloudFrontGb,
    },
    { item: 'WAF requests', perRequest: `${edgeRequests}`, usd: edgeRequests * PRICES.wafRequest },
    {
      item: 'CloudWatch Logs ingested (KB)',
      perRequest: (logBytes / 1000).toFixed(0),
      usd: (logBytes / 1e9) * PRICES.logGb,
    },
    { item: 'X-Ray traces', perRequest: `${traces}`, usd: traces * PRICES.trace },
    { item: 'KMS requests', perRequest: `${kms}`, usd: kms * PRICES.kmsRequest },
  ];
}

/** Monthly costs that do not depend on the number of requests. */
function fixedMonthly(): Line[] {
  const alarms =
    Object.keys(WORKFLOWS).length +
    FUNCTIONS.length +
    1 /* origin authorizer */ +
    2 /* tables */ +
    1 /* API 5xx */ +
    1 /* overdue */ +
    2; /* SES rates */
  const wafRules = 2 + WAF_MANAGED_RULE_GROUPS.length;
  const scheduledRuns = SCHEDULES.reduce((n, s) => n + (30 * 24 * 60) / s.everyMinutes, 0);
  const scheduledGbS = SCHEDULES.reduce(
    (n, s) =>
      n +
      ((30 * 24 * 60) / s.everyMinutes) * (settingsFor(s.fn).memorySize / 1024) * ASSUMED.billedSecondsPerInvocation,
    0,
  );
  return [
    { item: 'KMS key', perRequest: '1', usd: PRICES.kmsKeyMonth },
    {
      item: `WAF web ACL and ${wafRules} rules`,
      perRequest: '1',
      usd: PRICES.wafAclMonth + wafRules * PRICES.wafRuleMonth,
    },
    { item: 'Secrets Manager (origin secret)', perRequest: '1', usd: PRICES.secretMonth },
    { item: 'CloudWatch alarms', perRequest: `${alarms}`, usd: alarms * PRICES.alarmMonth },
    { item: 'Custom metric OverdueRequests', perRequest: '1', usd: PRICES.customMetricMonth },
    {
      item: `Cognito Plus (${ASSUMED.staffUsers} staff)`,
      perRequest: `${ASSUMED.staffUsers}`,
      usd: ASSUMED.staffUsers * PRICES.cognitoPlusMau,
    },
    {
      item: 'Scheduled sweeps (Lambda)',
      perRequest: `${Math.round(scheduledRuns)}`,
      usd: scheduledRuns * PRICES.lambdaRequest + scheduledGbS * PRICES.lambdaGbSecond,
    },
    { item: 'Dashboard (free if among the first 3)', perRequest: '1', usd: 0 },
  ];
}

const usd = (n: number) => (n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);

function table(title: string, columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [`\n${title}\n`, line(columns), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join(
    '\n',
  );
}

async function main(): Promise<void> {
  const asJson = process.argv.includes('--json');
  // Schedules and the local TTL sweep off: they would add their own calls to the counts.
  const rt = await startTestRuntime({ scheduleIntervalMs: 24 * 3600 * 1000, sweepIntervalMs: 24 * 3600 * 1000 });
  countDb(rt.db, counts);
  countFunctions(rt, counts);
  countFiles(rt, counts);

  const results: { workflow: WorkflowName; counts: Counts }[] = [];
  try {
    for (const journey of [accessJourney, deletionJourney]) {
      meter.current = zero();
      const before = (await rt.mail.all()).length;
      const workflow = await journey(rt);
      meter.current.emails = (await rt.mail.all()).length - before;
      results.push({ workflow, counts: meter.current });
    }
  } finally {
    await rt.cleanup();
  }

  if (asJson) {
    console.log(
      JSON.stringify(
        {
          prices: PRICES,
          assumed: ASSUMED,
          results: results.map((r) => ({ ...r, lines: price(r.counts) })),
          fixed: fixedMonthly(),
        },
        null,
        2,
      ),
    );
    return;
  }
  const priced = results.map((r) => ({ ...r, lines: price(r.counts) }));
  const items = priced[0]!.lines.map((l) => l.item);
  const rows = items.map((item, i) => [
    item,
    ...priced.flatMap((p) => [p.lines[i]!.perRequest, usd(p.lines[i]!.usd * 1000)]),
  ]);
  const totals = priced.map((p) => p.lines.reduce((n, l) => n + l.usd, 0) * 1000);
  rows.push(['**Total per 1,000 requests**', ...priced.flatMap((p, i) => ['', `**${usd(totals[i]!)}**`])]);
  const columns = ['', ...priced.flatMap((p) => [`${p.workflow}: per request`, `${p.workflow}: per 1,000`])];
  console.log(
    table(`Cost per 1,000 requests (${PRICES.region} list prices assumed as of ${PRICES.asOf})`, columns, rows),
  );

  const detail = priced.map((p) => [
    p.workflow,
    `${p.counts.executions}`,
    `${Object.values(p.counts.invocations).reduce((n, k) => n + (k ?? 0), 0)}`,
    `${p.counts.dbCalls}`,
    `${Math.round(p.counts.localMs)} ms`,
    Object.entries(p.counts.invocations)
      .map(([fn, k]) => `${fn}×${k}`)
      .join(', '),
  ]);
  console.log(
    table(
      'What each request did (counted)',
      ['request', 'executions', 'invocations', 'DynamoDB calls', 'handler time here', 'functions'],
      detail,
    ),
  );

  const fixed = fixedMonthly();
  console.log(
    table(
      'Fixed per month, whatever the traffic',
      ['item', 'count', 'per month'],
      [
        ...fixed.map((l) => [l.item, l.perRequest, usd(l.usd)]),
        ['**Total**', '', `**${usd(fixed.reduce((n, l) => n + l.usd, 0))}**`],
      ],
    ),
  );
  console.log(
    `\nTables: ${REQUESTS_TABLE}, ${RECORDS_TABLE} (GSI writes included). Storage (DynamoDB, S3, logs, PITR) is per GB-month and not per request.`,
  );
}

await main();
