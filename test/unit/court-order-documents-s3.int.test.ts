import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderDocumentKey } from '../../functions/domain/court-order.ts';
import { S3DocumentStore } from '../../functions/adapters/s3/documents.ts';

/**
 * R16: S3DocumentStore.deleteAllVersions through the AWS SDK, against a stand-in for a versioned bucket's
 * REST endpoint (ListObjectVersions, DeleteObjects): every version and delete marker of the key goes,
 * nothing else does, and a second call finds nothing.
 */
type Entry = { key: string; versionId: string; marker: boolean };

describe('S3DocumentStore.deleteAllVersions through the AWS SDK (R16)', () => {
  let bucket: Entry[] = [];
  const deleteRequests: string[] = [];
  let server: Server;
  let s3: S3Client;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/xml');
        if (req.method === 'GET' && url.searchParams.has('versions')) {
          const prefix = url.searchParams.get('prefix') ?? '';
          const entries = bucket
            .filter((e) => e.key.startsWith(prefix))
            .map((e) => {
              const tag = e.marker ? 'DeleteMarker' : 'Version';
              return `<${tag}><Key>${e.key}</Key><VersionId>${e.versionId}</VersionId><IsLatest>false</IsLatest><LastModified>2026-12-01T10:00:00.000Z</LastModified>${e.marker ? '' : '<Size>10</Size>'}</${tag}>`;
            });
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>b</Name><Prefix>${prefix}</Prefix><IsTruncated>false</IsTruncated>${entries.join('')}</ListVersionsResult>`,
          );
          return;
        }
        if (req.method === 'POST' && url.searchParams.has('delete')) {
          const body = Buffer.concat(chunks).toString('utf8');
          deleteRequests.push(body);
          const gone = [...body.matchAll(/<Key>(.*?)<\/Key><VersionId>(.*?)<\/VersionId>/g)].map(
            (m) => `${m[1]}@${m[2]}`,
          );
          bucket = bucket.filter((e) => !gone.includes(`${e.key}@${e.versionId}`));
          res.end('<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>');
          return;
        }
        res.statusCode = 400;
        res.end('<Error><Code>Unexpected</Code></Error>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('R16 deletes every version and delete marker of the one key, and nothing that merely shares its prefix', async () => {
    const key = orderDocumentKey(randomUUID());
    const neighbour = `${key}.bak`;
    bucket = [
      { key, versionId: 'v1', marker: false },
      { key, versionId: 'v2', marker: false },
      { key, versionId: 'm1', marker: true },
      { key: neighbour, versionId: 'n1', marker: false },
    ];
    const store = new S3DocumentStore('privacy-desk-documents', s3);
    expect(await store.deleteAllVersions(key)).toBe(2);
    expect(bucket).toEqual([{ key: neighbour, versionId: 'n1', marker: false }]);
    expect(deleteRequests.join('')).not.toContain('n1');
    // A retry after it finished (a crash before the audit event) finds nothing and sends no delete.
    const before = deleteRequests.length;
    expect(await store.deleteAllVersions(key)).toBe(0);
    expect(deleteRequests).toHaveLength(before);
  });
});
