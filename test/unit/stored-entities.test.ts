import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../functions/adapters/dynamodb/audit.ts';
import { CourtOrders } from '../../functions/adapters/dynamodb/court-orders.ts';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { LegalHolds } from '../../functions/adapters/dynamodb/legal-holds.ts';
import { TokenStore } from '../../functions/adapters/dynamodb/tokens.ts';
import { IntegrityError } from '../../functions/domain/errors.ts';
import { testAuditKey } from '../support/audit-key.ts';
import { useDynalite } from '../support/dynalite.ts';

const TABLE = 'requests';
const NOW = new Date('2026-11-28T15:00:00.000Z');
const SECRET_VALUE = 'ada.lovelace@example.org';

/** The error a corrupt item becomes: typed, naming the entity and the field, never the value (R5). */
async function refused(read: Promise<unknown>, entityName: string, field: string): Promise<void> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrityError);
  const message = (error as Error).message;
  expect(message).toContain(entityName);
  expect(message).toContain(field);
  expect(message).not.toContain(SECRET_VALUE);
}

describe('stored entities are parsed on every read (R5, R17)', () => {
  const dynamo = useDynalite([TABLE]);
  const clock = () => NOW;

  it('R17: an audit event with a corrupt actor is refused, named by field, value unsaid (R5)', async () => {
    const audit = new AuditLog(dynamo.db, TABLE, testAuditKey(), clock);
    const requestId = '00000000-0000-4000-8000-000000000001';
    const event = await audit.append(requestId, {
      eventId: 'received',
      type: 'request-received',
      actor: { kind: 'system' },
    });
    expect(await audit.list(requestId)).toEqual([event]);
    await dynamo.db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: requestKeys.audit(requestId, 1),
        UpdateExpression: 'SET actor = :a',
        ExpressionAttributeValues: { ':a': { kind: SECRET_VALUE } },
      }),
    );
    await refused(audit.list(requestId), 'audit event', 'actor.kind');
  });

  it('R7: a link token missing its expiry is refused, never read as usable', async () => {
    const tokens = new TokenStore(dynamo.db, TABLE, clock);
    const { secret, token } = await tokens.issue({
      purpose: 'approve',
      requestId: '00000000-0000-4000-8000-000000000002',
      recipient: { kind: 'staff', id: 'privacy@library.example', role: 'privacy-officer' },
      step: 'deletion-plan',
      decisions: ['approve', 'reject'],
      ttlSeconds: 3600,
    });
    expect(await tokens.find(secret)).toEqual(token);
    await dynamo.db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: requestKeys.token(token.tokenHash),
        UpdateExpression: 'REMOVE expiresAt SET step = :s',
        ExpressionAttributeValues: { ':s': 7 },
      }),
    );
    await refused(tokens.find(secret), 'link token', 'expiresAt');
    await refused(tokens.find(secret), 'link token', 'step');
  });

  it('R13: a legal hold whose nondisclosure flag is not a boolean is refused', async () => {
    const holds = new LegalHolds(dynamo.db, TABLE, clock);
    await dynamo.db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...requestKeys.hold('P9', 'h9'),
          kind: 'LEGAL_HOLD',
          holdId: 'h9',
          patronId: 'P9',
          placedBy: 'counsel@library.example',
          placedAt: NOW.toISOString(),
          nondisclosure: SECRET_VALUE,
        },
      }),
    );
    await refused(holds.list('P9'), 'legal hold', 'nondisclosure');
  });

  it('R12: a court order of an unknown type is refused; a good one reads back as written, without table attributes', async () => {
    const orders = new CourtOrders(dynamo.db, TABLE, clock);
    const order = {
      orderId: 'o-1',
      version: 0,
      status: 'awaiting-upload' as const,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      court: 'Superior Court',
      caseNumber: 'CV-1',
      orderType: 'subpoena' as const,
      issuedOn: '2026-11-20',
      categories: ['library-records' as const],
      nondisclosure: false,
      patronId: 'P1',
      uploadedBy: 'counsel@library.example',
      uploadedBySub: 'sub-1',
      documentKey: 'incoming/o-1.pdf',
    };
    await orders.create(order);
    expect(await orders.get('o-1')).toEqual(order);
    await dynamo.db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: requestKeys.order('o-1'),
        UpdateExpression: 'SET orderType = :t',
        ExpressionAttributeValues: { ':t': SECRET_VALUE },
      }),
    );
    await refused(orders.get('o-1'), 'court order', 'orderType');
  });
});
