import { PatronDirectory } from '../../functions/connectors/people.ts';
import { RECORDS_TABLE_ONLY } from '../../functions/domain/systems.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { RequestStore } from '../../functions/adapters/dynamodb/requests.ts';
import type { WorkflowPort } from '../../functions/adapters/step-functions.ts';
import { startDeskRequest } from '../../functions/app/desk-request.ts';
import { startRequest } from '../../functions/app/start-request.ts';
import { LibraryRecords } from '../../functions/connectors/records-table/library-records.ts';
import { ConflictError, InvalidInputError } from '../../functions/domain/errors.ts';
import { newRequestRecord } from '../../functions/domain/new-request.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { REQUEST_KINDS } from '../../functions/domain/request.ts';
import { requestInputSchema } from '../../functions/domain/request-input.ts';
import { WORKFLOW_OF_KIND, WORKFLOWS, type WorkflowName } from '../../workflows/index.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';
const RECORDS = 'records';
const NOW = new Date('2026-12-01T10:00:00.000Z');
const ORDER = { kind: 'court-order', patronId: 'p-1', orderId: 'o-1', submittedBy: 'owen@library.example' } as const;

/** A workflow port that records what it was asked to start. */
function recordingWorkflow() {
  const started: { workflow: WorkflowName; name: string; input: Record<string, unknown> }[] = [];
  const port: WorkflowPort = {
    start: (workflow, name, input) => {
      started.push({ workflow, name, input });
      return Promise.resolve({ executionId: `exec:${name}`, started: true });
    },
    executionIdOf: (_workflow, name) => `exec:${name}`,
    stop: () => Promise.resolve(),
    sendTaskSuccess: () => Promise.resolve(),
    sendTaskFailure: () => Promise.resolve(),
  };
  return { port, started };
}

describe('the kind → workflow map (one place)', () => {
  it('every kind the public form or the desk accepts, and a court order, has a workflow that exists', () => {
    const formKinds = requestInputSchema.def.getter().def.options.map((o) => o.shape.kind.def.values[0]!);
    for (const kind of [...formKinds, 'court-order' as const]) {
      const workflow = WORKFLOW_OF_KIND[kind];
      expect(workflow, kind).toBeDefined();
      expect(Object.keys(WORKFLOWS)).toContain(workflow);
    }
    expect(Object.keys(WORKFLOW_OF_KIND).every((k) => (REQUEST_KINDS as readonly string[]).includes(k))).toBe(true);
  });
});

describe('newRequestRecord for a court order (R12)', () => {
  it('keeps the reserved id, names the patron by id, is matched, and counsel is on it as the one who entered it', () => {
    const { record } = newRequestRecord(ORDER, NOW, defaultPolicy, 'reserved-id');
    const days = defaultPolicy.deadlines.byKind['court-order'] ?? defaultPolicy.deadlines.defaultDays;
    expect(record).toMatchObject({
      requestId: 'reserved-id',
      kind: 'court-order',
      status: 'received',
      version: 0,
      patronId: 'p-1',
      matched: true,
      orderId: 'o-1',
      submittedByStaff: 'owen@library.example',
    });
    expect(Date.parse(record.dueAt) - NOW.getTime()).toBeGreaterThanOrEqual(days * 86_400_000 - 86_400_000);
    expect(record.statusKeyHash).toMatch(/^[0-9a-f]{64}$/);
    // Nothing typed by a requester rides along (R5).
    expect(record).not.toHaveProperty('submitted');
  });
});

describe('startRequest', () => {
  const dynamo = useDynalite([TABLE]);
  let requests: RequestStore;
  let audit: AuditLog;
  beforeAll(() => {
    requests = new RequestStore(dynamo.db, TABLE);
    audit = new AuditLog(dynamo.db, TABLE, testAuditKey());
  });

  it('R5 R17: stores the record, appends its events in order, starts its workflow with the id alone, named by the request', async () => {
    const { port, started } = recordingWorkflow();
    const { record } = newRequestRecord(
      { kind: 'access', cardNumber: '21234000012345', lastName: 'Lovelace' },
      NOW,
      defaultPolicy,
    );
    const events = [
      { eventId: 'received', type: 'request-received', actor: { kind: 'requester' as const } },
      { eventId: 'second', type: 'identity-verified', actor: { kind: 'requester' as const } },
    ];
    const out = await startRequest({ requests, audit, workflow: port }, { record, events });
    expect(out).toEqual({ requestId: record.requestId, executionId: `exec:${record.requestId}` });
    expect(started).toEqual([{ workflow: 'access', name: record.requestId, input: { requestId: record.requestId } }]);
    expect((await audit.list(record.requestId)).map((e) => e.eventId)).toEqual(['received', 'second']);
    // The execution's id follows from the request's: the record is not written a second time to keep it.
    expect(await requests.get(record.requestId)).toMatchObject({ version: 0, status: 'received' });
    expect((await requests.get(record.requestId)).executionId).toBeUndefined();
  });

  it('R12: a retried court-order start finds its record and finishes the same steps once; a fresh start never overwrites', async () => {
    const { port, started } = recordingWorkflow();
    const { record } = newRequestRecord(ORDER, NOW, defaultPolicy);
    const events = [
      { eventId: 'court-order-received', type: 'court-order-received', actor: { kind: 'counsel' as const } },
    ];
    // What the step sees when it runs: the trail written, the workflow not yet started by this call.
    const seen: { events: number; started: number }[] = [];
    const beforeWorkflow = async () => {
      seen.push({ events: (await audit.list(record.requestId)).length, started: started.length });
    };
    await startRequest({ requests, audit, workflow: port }, { record, events, beforeWorkflow });
    await startRequest({ requests, audit, workflow: port }, { record, events, retry: true, beforeWorkflow });
    // Another record under the same id (not the same write tried again, which is recognised as ours).
    const other = { ...record, statusKeyHash: 'f'.repeat(64) };
    await expect(startRequest({ requests, audit, workflow: port }, { record: other, events })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(seen).toEqual([
      { events: 1, started: 0 },
      { events: 1, started: 1 },
    ]);
    expect(started.map((s) => s.workflow)).toEqual(['court-order', 'court-order']);
    expect(await audit.list(record.requestId)).toHaveLength(1);
  });
});

describe('a request made at the desk (R4)', () => {
  const dynamo = useDynalite([TABLE, RECORDS]);
  const who = { sub: 's-1', email: 'cora@library.example', groups: ['circulation' as const] };

  async function refusal(body: Record<string, unknown>): Promise<InvalidInputError> {
    const { port, started } = recordingWorkflow();
    const records = new LibraryRecords(dynamo.db, RECORDS);
    const deps = {
      requests: new RequestStore(dynamo.db, TABLE),
      audit: new AuditLog(dynamo.db, TABLE, testAuditKey()),
      records,
      people: new PatronDirectory(RECORDS_TABLE_ONLY, records, () => {
        throw new Error('only the records table here');
      }),
      workflow: port,
      clock: () => NOW,
      policy: defaultPolicy,
    };
    const e: unknown = await startDeskRequest(deps, who, body).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(started).toEqual([]); // nothing started, so nothing was stored either
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }

  it('R4 R14: a third party is never served at the desk, and how staff verified the person is required', async () => {
    const e = await refusal({
      kind: 'third-party',
      requester: { name: 'Jane Counsel', email: 'jane@firm.example' },
      patron: { cardNumber: '21234000012345', lastName: 'Lovelace' },
      categories: ['payments'],
      purpose: 'A claim.',
    });
    expect(e.issues.map((i) => i.path).sort()).toEqual(['documentKind', 'kind']);
  });

  it('R4: staff are told plainly when no patron has the card and last name (unlike the public form)', async () => {
    const e = await refusal({
      kind: 'guardian-access',
      documentKind: 'photo-id',
      guardian: { cardNumber: '21234000099999', lastName: 'Nobody' },
      child: { cardNumber: '21234000012345', lastName: 'Lovelace' },
    });
    expect(e.issues.map((i) => i.path)).toEqual(['guardian.cardNumber', 'guardian.lastName']);
  });
});
