import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  incomingKey,
  orderDocumentKey,
  UNSUBMITTED_ORDER_DAYS,
  type CourtOrder,
} from '../../functions/domain/court-order.ts';
import { NotFoundError } from '../../functions/domain/errors.ts';
import { CourtOrders } from '../../functions/adapters/dynamodb/court-orders.ts';
import { S3DocumentStore } from '../../functions/adapters/s3/documents.ts';
import { LocalDocumentStore } from '../../local/document-store.ts';
import { requestKeys, TABLE_KEYS } from '../../functions/adapters/dynamodb/keys.ts';
import { pdf } from '../support/court-orders.ts';
import { useDynalite } from '../support/dynalite.ts';

/**
 * R12 R16 court-order storage: an upload under incoming/ is copied, by version, to orders/ at submit
 * and kept there; uploads and unsubmitted orders expire. The local document store on a real disk, the
 * S3 store through the real SDK against a stand-in S3 endpoint on loopback, the order store against dynalite.
 */
const DAY = 86_400_000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('LocalDocumentStore: the copy an accepted order is kept as (R12)', () => {
  let root: string;
  let now = new Date('2026-12-01T10:00:00Z');
  let store: LocalDocumentStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'privacy-desk-documents-'));
    store = new LocalDocumentStore({
      root,
      encryptionKey: randomBytes(32),
      signingKey: randomBytes(32),
      clock: () => now,
      baseUrl: () => 'http://localhost',
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('copies the same bytes, re-encrypted: same size and SHA-256, the upload left where it was', async () => {
    const id = randomUUID();
    const bytes = pdf(`copy ${id}`);
    await store.store(incomingKey(id), bytes);
    const kept = await store.copy(incomingKey(id), undefined, orderDocumentKey(id));
    expect(kept).toEqual({ size: bytes.length });
    expect(await store.head(orderDocumentKey(id))).toEqual({ size: bytes.length });

    const body = await store.download(orderDocumentKey(id), { contentType: 'application/pdf' });
    expect(body.kind === 'body' && body.body.equals(bytes)).toBe(true);
    expect(await store.sha256(orderDocumentKey(id))).toBe(await store.sha256(incomingKey(id)));
    expect(await store.sha256(orderDocumentKey(id))).toBe(sha(bytes));
    expect(await store.head(incomingKey(id))).toEqual({ size: bytes.length });

    // On disk: encrypted, and under its own IV (not the upload's ciphertext duplicated).
    const original = await readFile(join(root, incomingKey(id)));
    const copy = await readFile(join(root, orderDocumentKey(id)));
    expect(copy.includes(Buffer.from('%PDF'))).toBe(false);
    expect(copy.equals(original)).toBe(false);
  });

  it('refuses to copy what is not there, and keys outside the store', async () => {
    await expect(store.copy(incomingKey(randomUUID()), undefined, orderDocumentKey(randomUUID()))).rejects.toThrow();
    const id = randomUUID();
    await store.store(incomingKey(id), pdf());
    await expect(store.copy(incomingKey(id), undefined, '../outside.pdf')).rejects.toThrow('unsafe document key');
  });

  it('R16 expireIncoming deletes uploads older than 8 days by the store clock, and never an accepted order', async () => {
    const old = randomUUID();
    await store.store(incomingKey(old), pdf('old'));
    await store.copy(incomingKey(old), undefined, orderDocumentKey(old));
    const start = now;
    now = new Date(start.getTime() + (UNSUBMITTED_ORDER_DAYS + 1) * DAY - 60_000);
    const young = randomUUID();
    await store.store(incomingKey(young), pdf('young'));
    await store.expireIncoming();
    expect(await store.head(incomingKey(old))).toBeDefined(); // a minute short of 8 days
    now = new Date(start.getTime() + (UNSUBMITTED_ORDER_DAYS + 1) * DAY + 60_000);
    await store.expireIncoming();
    expect(await store.head(incomingKey(old))).toBeUndefined();
    expect(await store.head(incomingKey(young))).toBeDefined();
    expect(await store.sha256(orderDocumentKey(old))).toBe(sha(pdf('old')));
  });

  it('R16 expireIncoming leaves a write under way alone, however far the store clock has moved; a crashed one goes after an hour', async () => {
    const dir = join(root, 'incoming');
    await mkdir(dir, { recursive: true });
    const writing = join(dir, `${randomUUID()}.pdf.partial`);
    const crashed = join(dir, `${randomUUID()}.pdf.partial`);
    await writeFile(writing, 'in progress');
    await writeFile(crashed, 'left behind');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(crashed, twoHoursAgo, twoHoursAgo);
    now = new Date(Date.now() + 30 * DAY); // a test's clock, far past any upload's expiry
    await store.expireIncoming();
    expect(existsSync(writing)).toBe(true);
    expect(existsSync(crashed)).toBe(false);
  });
});

type SeenRequest = { method: string; url: string; headers: IncomingMessage['headers'] };

describe('S3DocumentStore.copy through the AWS SDK (R12)', () => {
  // A stand-in for S3's REST endpoint: records each request and answers as S3 does for a versioned bucket.
  const seen: SeenRequest[] = [];
  let server: Server;
  let s3: S3Client;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      req.resume();
      if (req.method === 'PUT') {
        res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-version-id': 'copy-version-2' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"e"</ETag><LastModified>2026-12-01T10:00:00.000Z</LastModified></CopyObjectResult>',
        );
      } else {
        res.writeHead(200, {
          'content-length': '1234',
          'x-amz-version-id': 'copy-version-2',
          'content-type': 'application/pdf',
        });
        res.end();
      }
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

  it('copies the checked version server-side, chooses no encryption (the bucket default applies), and returns the new version', async () => {
    const id = randomUUID();
    const store = new S3DocumentStore('privacy-desk-documents', s3);
    const kept = await store.copy(incomingKey(id), 'upload-version-1', orderDocumentKey(id));
    expect(kept).toEqual({ size: 1234, versionId: 'copy-version-2' });
    const [copy, head] = seen;
    expect(copy?.method).toBe('PUT');
    expect(copy?.url.split('?')[0]).toBe(`/privacy-desk-documents/orders/${id}/order.pdf`);
    expect(decodeURIComponent(String(copy?.headers['x-amz-copy-source']))).toBe(
      `privacy-desk-documents/incoming/${id}.pdf?versionId=upload-version-1`,
    );
    expect(Object.keys(copy?.headers ?? {}).some((h) => h.startsWith('x-amz-server-side-encryption'))).toBe(false);
    // The size is read from the copy's own version.
    expect(head?.method).toBe('HEAD');
    expect(head?.url).toBe(`/privacy-desk-documents/orders/${id}/order.pdf?versionId=copy-version-2`);
  });
});

describe('CourtOrders against dynalite: an unsubmitted order expires (R16)', () => {
  const TABLE = 'requests';
  const dynamo = useDynalite([TABLE]);
  let db: DynamoDBDocumentClient;
  let now = new Date('2026-12-01T10:00:00Z');
  let orders: CourtOrders;

  beforeAll(async () => {
    db = dynamo.db;
    orders = new CourtOrders(db, TABLE, () => now);
  });

  const newOrder = (): CourtOrder => {
    const orderId = randomUUID();
    return {
      orderId,
      version: 0,
      status: 'awaiting-upload',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      court: 'Superior Court',
      caseNumber: 'FST-CV-26-1',
      orderType: 'subpoena',
      issuedOn: '2026-11-20',
      categories: ['library-records'],
      nondisclosure: false,
      patronId: 'P1001',
      uploadedBy: 'counsel@library.example',
      uploadedBySub: 'sub',
      documentKey: incomingKey(orderId),
    };
  };
  const rawItem = async (orderId: string) =>
    (await db.send(new GetCommand({ TableName: TABLE, Key: requestKeys.order(orderId), ConsistentRead: true }))).Item;

  it('carries the table TTL (createdAt + 7 days, epoch seconds) while awaiting upload; the order read back never shows it', async () => {
    const o = newOrder();
    await orders.create(o);
    expect((await rawItem(o.orderId))?.[TABLE_KEYS.ttlAttribute]).toBe(
      Math.floor(Date.parse(o.createdAt) / 1000) + UNSUBMITTED_ORDER_DAYS * 86_400,
    );
    const read = await orders.get(o.orderId);
    expect(read).toEqual(o);
    expect(TABLE_KEYS.ttlAttribute in read).toBe(false);
    // Any other change before submit keeps the same expiry: it counts from the metadata, not the last write.
    now = new Date(now.getTime() + DAY);
    await orders.update(o.orderId, (x) => ({ ...x, court: 'Superior Court, Stamford' }));
    expect((await rawItem(o.orderId))?.[TABLE_KEYS.ttlAttribute]).toBe(
      Math.floor(Date.parse(o.createdAt) / 1000) + UNSUBMITTED_ORDER_DAYS * 86_400,
    );
  });

  it('loses the TTL at the submit’s first write and never gets it back', async () => {
    const o = newOrder();
    await orders.create(o);
    const file = { key: orderDocumentKey(o.orderId), sha256: sha(pdf()), size: pdf().length, versionId: 'v2' };
    await orders.update(o.orderId, (x) => ({ ...x, requestId: randomUUID(), holdId: `order-${x.orderId}`, file }));
    expect(await rawItem(o.orderId)).not.toHaveProperty(TABLE_KEYS.ttlAttribute);
    await orders.update(o.orderId, (x) => ({ ...x, status: 'submitted', submittedAt: now.toISOString() }));
    await orders.update(o.orderId, (x) => ({
      ...x,
      holdReleasedAt: now.toISOString(),
      holdReleasedBy: 'counsel@library.example',
    }));
    expect(await rawItem(o.orderId)).not.toHaveProperty(TABLE_KEYS.ttlAttribute);
    now = new Date(now.getTime() + 30 * DAY);
    expect((await orders.get(o.orderId)).status).toBe('submitted');
  });

  it('is gone to every reader once its TTL has passed, before DynamoDB gets round to deleting it', async () => {
    const o = newOrder();
    await orders.create(o);
    now = new Date(Date.parse(o.createdAt) + UNSUBMITTED_ORDER_DAYS * DAY - 60_000);
    expect((await orders.get(o.orderId)).orderId).toBe(o.orderId);
    now = new Date(Date.parse(o.createdAt) + UNSUBMITTED_ORDER_DAYS * DAY + 1_000);
    expect(await rawItem(o.orderId)).toBeDefined(); // still stored: nothing swept here
    expect(await orders.find(o.orderId)).toBeUndefined();
    await expect(orders.get(o.orderId)).rejects.toThrow(NotFoundError);
    await expect(orders.update(o.orderId, (x) => ({ ...x, requestId: randomUUID() }))).rejects.toThrow(NotFoundError);
  });
});
