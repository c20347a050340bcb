import { transientErrors } from '../aws-errors.ts';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
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
  /** The whole document (at most the upload limit, checked by `head` first): its content is checked whole. */
  bytes(key: string, versionId?: string): Promise<Buffer>;
  /**
   * Copies one version of a document to another key (within the store, encrypted as any document)
   * and returns the copy's size and version: an accepted order is kept apart from its upload.
   */
  copy(fromKey: string, fromVersionId: string | undefined, toKey: string): Promise<StoredDocument>;
  download(key: string, o: { versionId?: string; fileName: string; contentType: string }): Promise<Download>;
  /**
   * R16: deletes a document for good: every version of the key and every delete marker, so nothing
   * of it is left to restore. Answers how many versions there were (0: already gone).
   */
  deleteAllVersions(key: string): Promise<number>;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]{0,200}$/;
export const checkDocumentKey = (key: string) => {
  if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error('unsafe document key');
};

export const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The AWS credentials a presigned POST is signed with (the function's role, in Lambda). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// AWS: S3 ------------------------------------------------------------------------------------

/** `20260102T030405Z` and `20260102`: the dates SigV4 signs with. */
export const amzDates = (now: Date) => {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return { amzDate, dateStamp: amzDate.slice(0, 8) };
};

/**
 * The policy of an S3 POST upload (SigV4, "browser-based uploads using POST"): the bucket and key
 * are fixed, the content type must be `contentType`, the body between 1 byte and `maxBytes`, and it
 * expires. The caller signs the base64 policy with the SigV4 signing key of the same scope.
 */
export function presignedPostPolicy(
  o: { bucket: string; key: string; region: string; credentials: SigningCredentials; now: Date } & UploadConditions,
) {
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

const isNotFound = (e: unknown) =>
  e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.name === 'NoSuchVersion');

/** The documents bucket: versioned, encrypted by its default KMS key (requests choose no encryption). */
export class S3DocumentStore implements DocumentStore {
  constructor(
    private readonly bucket: string,
    /** The function's own client in Lambda; tests give one with fixed credentials and region. */
    private readonly s3: S3Client = new S3Client({}),
  ) {
    // S3's SlowDown and faults reach the workflow as TransientError (Faults).
    this.s3.middlewareStack.use(transientErrors('S3'));
  }

  async uploadForm(key: string, c: UploadConditions): Promise<UploadForm> {
    checkDocumentKey(key);
    const credentials = await this.s3.config.credentials();
    const region = await this.s3.config.region();
    const now = new Date();
    const { policy, fields, expiresAt } = presignedPostPolicy({
      bucket: this.bucket,
      key,
      region,
      credentials,
      now,
      ...c,
    });
    // The same signing the SDK's presigned POST uses: SigV4's signing key over the base64 policy.
    const signer = new SignatureV4({
      service: 's3',
      region,
      credentials,
      sha256: this.s3.config.sha256,
      uriEscapePath: false,
    });
    const signature = await signer.sign(policy, { signingDate: now });
    return {
      url: `https://${this.bucket}.s3.${region}.amazonaws.com/`,
      fields: { ...fields, 'X-Amz-Signature': signature },
      expiresAt,
    };
  }

  async head(key: string): Promise<StoredDocument | undefined> {
    checkDocumentKey(key);
    try {
      const res = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0, ...(res.VersionId ? { versionId: res.VersionId } : {}) };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async firstBytes(key: string, n: number, versionId?: string): Promise<Buffer> {
    checkDocumentKey(key);
    const res = await this.s3.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        VersionId: versionId,
        Range: `bytes=0-${Math.max(0, n - 1)}`,
      }),
    );
    return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
  }

  async bytes(key: string, versionId?: string): Promise<Buffer> {
    checkDocumentKey(key);
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
  }

  async sha256(key: string, versionId?: string): Promise<string> {
    checkDocumentKey(key);
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    const hash = createHash('sha256');
    for await (const chunk of res.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async copy(fromKey: string, fromVersionId: string | undefined, toKey: string): Promise<StoredDocument> {
    checkDocumentKey(fromKey);
    checkDocumentKey(toKey);
    // Server-side, by version: exactly the bytes that were checked, whatever was uploaded since. No
    // encryption header: the bucket's default key applies (its policy refuses any other choice).
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}${fromVersionId ? `?versionId=${encodeURIComponent(fromVersionId)}` : ''}`;
    const res = await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source }));
    // CopyObject does not say the size; the copy's own head does, and proves the new version is there.
    const head = await this.s3.send(
      new HeadObjectCommand({ Bucket: this.bucket, Key: toKey, VersionId: res.VersionId }),
    );
    return { size: head.ContentLength ?? 0, ...(res.VersionId ? { versionId: res.VersionId } : {}) };
  }

  async deleteAllVersions(key: string): Promise<number> {
    checkDocumentKey(key);
    let versions = 0;
    // One page of versions at a time (at most 1,000, DeleteObjects' own limit); listing again after each
    // delete restarts from what is left, so a retry after a crash deletes only what remains.
    for (;;) {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, MaxKeys: 1000 }),
      );
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .filter((v) => v.Key === key && v.VersionId)
        .map((v) => ({ Key: key, VersionId: v.VersionId as string }));
      if (objects.length === 0) return versions;
      const res = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      if (res.Errors?.length) throw new Error(`S3 refused to delete ${res.Errors.length} version(s) of a document`);
      versions += (page.Versions ?? []).filter((v) => v.Key === key).length;
    }
  }

  async download(key: string, o: { versionId?: string; fileName: string; contentType: string }): Promise<Download> {
    checkDocumentKey(key);
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
