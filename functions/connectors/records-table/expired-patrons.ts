import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { recordKeys } from '../../adapters/dynamodb/keys.ts';
import { cardExpiredBefore } from '../../domain/retention.ts';
import type { ExpiredPatronsPage, ExpiredPatronsQuery } from '../port.ts';
import type { RecordsDeps } from './erasure.ts';

/**
 * R16, R8: the nightly purge's candidates in the records table: patrons whose card expired before a
 * day. A background job reads the whole table anyway, so this is one key-range segment of a
 * parallel Scan, filtered by the table to profile items with an older `expiresOn` (an ISO day sorts
 * as text), page by page with a continuation key; never a request path. Each candidate comes with
 * the number of its holds still waiting or ready (one Query of its own partition), which keep it.
 */

const PROFILE_SK = recordKeys.patron('').sk;
const PATRON_PREFIX = recordKeys.patronPartition('');

export async function expiredPatronsPage(deps: RecordsDeps, q: ExpiredPatronsQuery): Promise<ExpiredPatronsPage> {
  const res = await deps.db.send(
    new ScanCommand({
      TableName: deps.recordsTable,
      Segment: q.segment,
      TotalSegments: q.totalSegments,
      Limit: q.pageSize,
      ExclusiveStartKey: q.cursor,
      FilterExpression: 'sk = :profile AND begins_with(pk, :patron) AND expiresOn < :cutoff',
      ExpressionAttributeValues: { ':profile': PROFILE_SK, ':patron': PATRON_PREFIX, ':cutoff': q.expiredBefore },
      ProjectionExpression: 'pk, expiresOn',
    }),
  );
  const ids = (res.Items ?? [])
    .filter((i) => cardExpiredBefore(i.expiresOn, q.expiredBefore))
    .map((i) => String(i.pk).slice(PATRON_PREFIX.length));
  const patrons = await Promise.all(
    ids.map(async (patronId) => ({
      patronId,
      openHolds: q.countOpenHolds === false ? 0 : await openHolds(deps, patronId),
    })),
  );
  const last = res.LastEvaluatedKey;
  return {
    scanned: res.ScannedCount ?? 0,
    patrons,
    cursor: last ? { pk: String(last.pk), sk: String(last.sk) } : undefined,
  };
}

/** A patron's holds still waiting or ready: a purge keeps the patron (the library owes them an item). */
export async function openHolds(deps: RecordsDeps, patronId: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const res = await deps.db.send(
      new QueryCommand({
        TableName: deps.recordsTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hold)',
        FilterExpression: '#status IN (:waiting, :ready)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': recordKeys.patronPartition(patronId),
          ':hold': 'HOLD#',
          ':waiting': 'waiting',
          ':ready': 'ready',
        },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    count += res.Count ?? 0;
    start = res.LastEvaluatedKey;
  } while (start);
  return count;
}
