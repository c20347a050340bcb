import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { RequestStore } from '../../functions/adapters/dynamodb/requests.ts';
import { TokenStore } from '../../functions/adapters/dynamodb/tokens.ts';
import { closeRequest } from '../../functions/app/close-request.ts';
import { newRequestRecord } from '../../functions/domain/new-request.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';
const NOW = new Date('2026-12-01T10:00:00.000Z');

describe('closing a request records it once, even after a crash between the close and its event (R17)', () => {
  const dynamo = useDynalite([TABLE]);
  let deps: Parameters<typeof closeRequest>[0];
  beforeAll(() => {
    deps = {
      requests: new RequestStore(dynamo.db, TABLE, () => NOW),
      audit: new AuditLog(dynamo.db, TABLE, testAuditKey(), () => NOW),
      tokens: new TokenStore(dynamo.db, TABLE, () => NOW),
    };
  });

  const stored = async () => {
    const { record } = newRequestRecord(
      { kind: 'access', cardNumber: '21234000012345', lastName: 'Lovelace' },
      NOW,
      defaultPolicy,
    );
    await deps.requests.create(record);
    return record.requestId;
  };

  it('R17: a retried close after the status was written but not its event writes the event then', async () => {
    const requestId = await stored();
    // The sweep's first try stopped right after the status change.
    await deps.requests.transition(requestId, 'expired');
    expect(await deps.audit.list(requestId)).toEqual([]);
    expect(await closeRequest(deps, requestId, 'expired')).toBe('expired');
    expect((await deps.audit.list(requestId)).map((e) => e.type)).toEqual(['request-expired']);
  });

  it('R17: closing twice records the close once', async () => {
    const requestId = await stored();
    await closeRequest(deps, requestId, 'expired');
    await closeRequest(deps, requestId, 'expired');
    expect((await deps.audit.list(requestId)).map((e) => e.type)).toEqual(['request-expired']);
    expect((await deps.audit.check(requestId)).ok).toBe(true);
  });

  it('a request already closed another way keeps its status and gains no closing event of this kind', async () => {
    const requestId = await stored();
    await deps.requests.transition(requestId, 'cancelled');
    expect(await closeRequest(deps, requestId, 'expired')).toBe('cancelled');
    expect((await deps.audit.list(requestId)).map((e) => e.type)).not.toContain('request-expired');
  });
});
