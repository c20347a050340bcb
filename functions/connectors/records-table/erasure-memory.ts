import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FINGERPRINT_PATTERN, type Fingerprinter } from '../../domain/erasure-memory.ts';
import { IntegrityError } from '../../domain/errors.ts';
import { recordKeys } from '../../adapters/dynamodb/keys.ts';

/**
 * R8: where the records table remembers erased people: one item per fingerprint in the `ERASED`
 * partition, holding the fingerprint and nothing else (no id, no card, no date that could be matched
 * against a request's timeline).
 */

const PAGE_SIZE = 1000;

/** The fingerprints of an erased person's patron id and card number. */
export async function fingerprintsOf(
  fingerprinter: Fingerprinter,
  person: { patronId: string; cardNumber: string | undefined },
): Promise<string[]> {
  const prints = [await fingerprinter.fingerprint('patron-id', person.patronId)];
  if (person.cardNumber) prints.push(await fingerprinter.fingerprint('card', person.cardNumber));
  for (const p of prints) {
    // A fingerprinter that echoed its input would store an identifier: refuse anything but a MAC.
    if (!FINGERPRINT_PATTERN.test(p)) throw new IntegrityError('fingerprint is not a 256-bit MAC in hex');
  }
  return prints;
}

/** Writes the fingerprints; a repeat writes the same items again (idempotent on retry). */
export async function rememberErasure(db: DynamoDBDocumentClient, table: string, prints: string[]): Promise<void> {
  for (const print of prints) {
    await db.send(new PutCommand({ TableName: table, Item: { ...recordKeys.erased(print), kind: 'ERASED' } }));
  }
}

/** Every remembered fingerprint, by a paginated Query of the one partition (never a Scan). */
export async function rememberedFingerprints(db: DynamoDBDocumentClient, table: string): Promise<Set<string>> {
  const prints = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': recordKeys.erasedPartition },
        ProjectionExpression: '#sk',
        ConsistentRead: true,
        Limit: PAGE_SIZE,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) if (typeof item.sk === 'string') prints.add(item.sk);
    start = res.LastEvaluatedKey;
  } while (start);
  return prints;
}
