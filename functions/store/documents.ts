import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { INCOMING_EXPIRY_DAYS, INCOMING_PREFIX } from '../domain/court-order.ts';
import type { Download } from './files.ts';

/**
 * Court-order documents (R12): uploaded by counsel straight to storage, because a scanned order
 * can be larger than a Lambda request may carry (ARCHITECTURE.md: 6 MB). In AWS the upload is an
 * S3 presigned POST whose signed policy fixes the key and the content type and limits the size, into
 * a versioned bucket encrypted with its own KMS key; here it is the same form, posted to the local
 * runtime, kept on disk encrypted. Either way the stored bytes are checked afterwards, by content.
 */
export interface UploadForm {
  /** POST a multipart/form-data body here: every field below, then the file as `file`. */
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
}

export interface UploadConditions {
  contentType: string;
  /** Largest accepted body, bytes. */
  maxBytes: number;
  expiresInSeconds: number;
}

export interface StoredDocument {
  size: number;
  /** The S3 object version; the record pins the version that was checked. */
  versionId?: string;
}

export interface DocumentStore {
  uploadForm(key: string, conditions: UploadConditions): Promise<UploadForm>;
  head(key: string): Promise<StoredDocument | undefined>;
  /** The first `n` bytes (a content check reads the header, not the whole file). */
  firstBytes(key: string, n: number, versionId?: string): Promise<Buffer>;
  /** SHA-256 of the stored bytes, hex, streamed. */
  sha256(key: string, versionId?: string): Promise<string>;
  /**
   * Copies one version of a document to another key (within the store, encrypted as any document)
   * and returns the copy's size and version: an accepted order is kept apart from its upload.
   */
  copy(fromKey: string, fromVersionId: string | undefined, toKey: string): Promise<StoredDocument>;
  download(key: string, o: { versionId?: string; fileName: string; contentType: string }): Promise<Download>;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]{0,200}$/;
const checkKey = (key: string) => {
  if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error('unsafe document key');
};

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The AWS credentials a presigned POST is signed with (the function's role, in Lambda). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// AWS: S3 ------------------------------------------------------------------------------------

/** `20260102T030405Z` and `20260102`: the dates SigV4 signs with. */
export const amzDates = (now: Date) => {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { amzDate, dateStamp: amzDate.slice(0, 8) };
};

/**
 * The policy of an S3 POST upload (SigV4, "browser-based uploads using POST"): the bucket and key
 * are fixed, the content type must be `contentType`, the body between 1 byte and `maxBytes`, and it
 * expires. The caller signs the base64 policy with the SigV4 signing key of the same scope.
 */
export function presignedPostPolicy(o: { bucket: string; key: string; region: string; credentials: SigningCredentials; now: Date } & UploadConditions) {
  const { amzDate, dateStamp } = amzDates(o.now);
  const credential = `${o.credentials.accessKeyId}/${dateStamp}/${o.region}/s3/aws4_request`;
  const expiresAt = new Date(o.now.getTime() + o.expiresInSeconds * 1000).toISOString();
  const conditions: unknown[] = [
    { bucket: o.bucket },
    { key: o.key },
    { 'Content-Type': o.contentType },
    ['content-length-range', 1, o.maxBytes],
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
    { 'x-amz-credential': credential },
    { 'x-amz-date': amzDate },
    ...(o.credentials.sessionToken ? [{ 'x-amz-security-token': o.credentials.sessionToken }] : []),
  ];
  const policy = Buffer.from(JSON.stringify({ expiration: expiresAt, conditions })).toString('base64');
  const fields: Record<string, string> = {
    key: o.key,
    'Content-Type': o.contentType,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': credential,
    'X-Amz-Date': amzDate,
    ...(o.credentials.sessionToken ? { 'X-Amz-Security-Token': o.credentials.sessionToken } : {}),
    Policy: policy,
  };
  return { policy, fields, expiresAt };
}

const isNotFound = (e: unknown) => e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.name === 'NoSuchVersion');

/** The documents bucket: versioned, encrypted by its default KMS key (requests choose no encryption). */
export class S3DocumentStore implements DocumentStore {
  constructor(
    private readonly bucket: string,
    /** The function's own client in Lambda; tests give one with fixed credentials and region. */
    private readonly s3: S3Client = new S3Client({}),
  ) {}

  async uploadForm(key: string, c: UploadConditions): Promise<UploadForm> {
    checkKey(key);
    const credentials = await this.s3.config.credentials();
    const region = await this.s3.config.region();
    const now = new Date();
    const { policy, fields, expiresAt } = presignedPostPolicy({ bucket: this.bucket, key, region, credentials, now, ...c });
    // The same signing the SDK's presigned POST uses: SigV4's signing key over the base64 policy.
    const signer = new SignatureV4({ service: 's3', region, credentials, sha256: this.s3.config.sha256, uriEscapePath: false });
    const signature = await signer.sign(policy, { signingDate: now });
    return { url: `https://${this.bucket}.s3.${region}.amazonaws.com/`, fields: { ...fields, 'X-Amz-Signature': signature }, expiresAt };
  }

  async head(key: string): Promise<StoredDocument | undefined> {
    checkKey(key);
    try {
      const res = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0, ...(res.VersionId ? { versionId: res.VersionId } : {}) };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async firstBytes(key: string, n: number, versionId?: string): Promise<Buffer> {
    checkKey(key);
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId, Range: `bytes=0-${Math.max(0, n - 1)}` }));
    return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
  }

  async sha256(key: string, versionId?: string): Promise<string> {
    checkKey(key);
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    const hash = createHash('sha256');
    for await (const chunk of res.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async copy(fromKey: string, fromVersionId: string | undefined, toKey: string): Promise<StoredDocument> {
    checkKey(fromKey);
    checkKey(toKey);
    // Server-side, by version: exactly the bytes that were checked, whatever was uploaded since. No
    // encryption header: the bucket's default key applies (its policy refuses any other choice).
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}${fromVersionId ? `?versionId=${encodeURIComponent(fromVersionId)}` : ''}`;
    const res = await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source }));
    // CopyObject does not say the size; the copy's own head does, and proves the new version is there.
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: toKey, VersionId: res.VersionId }));
    return { size: head.ContentLength ?? 0, ...(res.VersionId ? { versionId: res.VersionId } : {}) };
  }

  async download(key: string, o: { versionId?: string; fileName: string; contentType: string }): Promise<Download> {
    checkKey(key);
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        VersionId: o.versionId,
        ResponseContentType: o.contentType,
        ResponseContentDisposition: `attachment; filename="${o.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      }),
      { expiresIn: 300 },
    );
    return { kind: 'redirect', url };
  }
}

// Local: the same form, kept on disk encrypted --------------------------------------------------

export type LocalUploadResult = { ok: true } | { ok: false; status: 400 | 403 | 413; reason: string };

const MAGIC = Buffer.from('PDDOC1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES + TAG_BYTES;
const PARTIAL = '.partial';

const localPolicySchemaCheck = (v: unknown): v is { key: string; contentType: string; maxBytes: number; expiresAt: string } => {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.key === 'string' && typeof p.contentType === 'string' && typeof p.maxBytes === 'number' && typeof p.expiresAt === 'string';
};

/**
 * The local runtime's documents: AES-256-GCM on disk under the data folder, with a key kept in the
 * data folder (the stand-in for the bucket's KMS key). Uploads arrive as the same multipart form
 * as S3's presigned POST, at `{base}/_local/upload`, and are held to the same signed conditions.
 */
export class LocalDocumentStore implements DocumentStore {
  constructor(
    private readonly o: {
      root: string;
      /** 32 bytes: encrypts the stored files. */
      encryptionKey: Buffer;
      /** 32 bytes: signs the upload policies. */
      signingKey: Buffer;
      clock: () => Date;
      /** The runtime's origin (known once its server listens). */
      baseUrl: () => string;
    },
  ) {}

  private path(key: string): string {
    checkKey(key);
    const p = resolve(this.o.root, key);
    if (!p.startsWith(resolve(this.o.root) + sep)) throw new Error('unsafe document key');
    return p;
  }

  private sign(policy: string): string {
    return createHmac('sha256', this.o.signingKey).update(policy).digest('hex');
  }

  async uploadForm(key: string, c: UploadConditions): Promise<UploadForm> {
    checkKey(key);
    const expiresAt = new Date(this.o.clock().getTime() + c.expiresInSeconds * 1000).toISOString();
    const policy = b64url(JSON.stringify({ key, contentType: c.contentType, maxBytes: c.maxBytes, expiresAt }));
    return {
      url: `${this.o.baseUrl()}/_local/upload`,
      fields: { key, 'Content-Type': c.contentType, 'X-Amz-Algorithm': 'LOCAL-HMAC-SHA256', Policy: policy, 'X-Amz-Signature': this.sign(policy) },
      expiresAt,
    };
  }

  /**
   * Checks a posted form as S3 checks a presigned POST: the signature over the policy, its
   * expiry, the key and content type it fixes, and the size range; then stores the file.
   */
  async acceptUpload(fields: Record<string, string>, file: Buffer | undefined): Promise<LocalUploadResult> {
    const policy = fields.Policy ?? '';
    const given = Buffer.from(fields['X-Amz-Signature'] ?? '', 'utf8');
    const expected = Buffer.from(this.sign(policy), 'utf8');
    if (!policy || given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, reason: 'the upload form is not signed' };
    let p: unknown;
    try {
      p = JSON.parse(Buffer.from(policy, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, status: 403, reason: 'the upload form is not signed' };
    }
    if (!localPolicySchemaCheck(p)) return { ok: false, status: 403, reason: 'the upload form is not signed' };
    if (this.o.clock().getTime() >= Date.parse(p.expiresAt)) return { ok: false, status: 403, reason: 'the upload form has expired' };
    if (fields.key !== p.key) return { ok: false, status: 403, reason: 'the key does not match the upload form' };
    if (fields['Content-Type'] !== p.contentType) return { ok: false, status: 403, reason: 'the content type does not match the upload form' };
    if (!file || file.length === 0) return { ok: false, status: 400, reason: 'no file' };
    if (file.length > p.maxBytes) return { ok: false, status: 413, reason: 'the file is too large' };
    await this.store(p.key, file);
    return { ok: true };
  }

  /** Writes a document (the upload route, and tests that put a file where an upload would). */
  async store(key: string, bytes: Buffer): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true, mode: 0o700 });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.o.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
    const partial = `${p}${PARTIAL}`;
    await writeFile(partial, Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]), { mode: 0o600 });
    // Stamped with the runtime's clock, which tests move: expireIncoming reads this time.
    const at = this.o.clock();
    await utimes(partial, at, at);
    await rename(partial, p);
  }

  private async read(key: string): Promise<Buffer> {
    const raw = await readFile(this.path(key));
    if (raw.length < HEADER_BYTES || !raw.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a stored document');
    const iv = raw.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const tag = raw.subarray(MAGIC.length + IV_BYTES, HEADER_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.o.encryptionKey, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(raw.subarray(HEADER_BYTES)), decipher.final()]);
  }

  async head(key: string): Promise<StoredDocument | undefined> {
    try {
      const s = await stat(this.path(key));
      return { size: Math.max(0, s.size - HEADER_BYTES) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async firstBytes(key: string, n: number): Promise<Buffer> {
    return (await this.read(key)).subarray(0, n);
  }

  async sha256(key: string): Promise<string> {
    return createHash('sha256').update(await this.read(key)).digest('hex');
  }

  /** No versions here: the bytes at `fromKey` now, decrypted and stored again under a fresh IV. */
  async copy(fromKey: string, _fromVersionId: string | undefined, toKey: string): Promise<StoredDocument> {
    const bytes = await this.read(fromKey);
    await this.store(toKey, bytes);
    return { size: bytes.length };
  }

  async download(key: string, o: { contentType: string }): Promise<Download> {
    return { kind: 'body', body: await this.read(key), contentType: o.contentType };
  }

  /**
   * R16, what the bucket's lifecycle does in AWS: uploads under INCOMING_PREFIX older than
   * INCOMING_EXPIRY_DAYS are deleted (accepted orders were copied elsewhere; the rest were never
   * submitted). The local runtime's sweep calls it.
   */
  async expireIncoming(): Promise<void> {
    const dir = resolve(this.o.root, INCOMING_PREFIX);
    const before = this.o.clock().getTime() - INCOMING_EXPIRY_DAYS * 86_400_000;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names) {
      const p = resolve(dir, name);
      // A `.partial` is a write under way (`store` stamps and renames it): never expired by the
      // upload's rule, only once it is an hour old by the machine's own time, a write that crashed.
      const limit = name.endsWith(PARTIAL) ? Date.now() - 3_600_000 : before;
      try {
        if ((await stat(p)).mtimeMs < limit) await unlink(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
}
