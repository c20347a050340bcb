import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { INCOMING_EXPIRY_DAYS, INCOMING_PREFIX } from '../functions/domain/court-order.ts';
import type { Download } from '../functions/adapters/s3/files.ts';
import {
  b64url,
  checkDocumentKey,
  type DocumentStore,
  type StoredDocument,
  type UploadConditions,
  type UploadForm,
} from '../functions/adapters/s3/documents.ts';

// Local: the same form, kept on disk encrypted --------------------------------------------------

export type LocalUploadResult = { ok: true } | { ok: false; status: 400 | 403 | 413; reason: string };

const MAGIC = Buffer.from('PDDOC1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES + TAG_BYTES;
const PARTIAL = '.partial';

const localPolicySchemaCheck = (
  v: unknown,
): v is { key: string; contentType: string; maxBytes: number; expiresAt: string } => {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return (
    typeof p.key === 'string' &&
    typeof p.contentType === 'string' &&
    typeof p.maxBytes === 'number' &&
    typeof p.expiresAt === 'string'
  );
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
    checkDocumentKey(key);
    const p = resolve(this.o.root, key);
    if (!p.startsWith(resolve(this.o.root) + sep)) throw new Error('unsafe document key');
    return p;
  }

  private sign(policy: string): string {
    return createHmac('sha256', this.o.signingKey).update(policy).digest('hex');
  }

  async uploadForm(key: string, c: UploadConditions): Promise<UploadForm> {
    checkDocumentKey(key);
    const expiresAt = new Date(this.o.clock().getTime() + c.expiresInSeconds * 1000).toISOString();
    const policy = b64url(JSON.stringify({ key, contentType: c.contentType, maxBytes: c.maxBytes, expiresAt }));
    return {
      url: `${this.o.baseUrl()}/_local/upload`,
      fields: {
        key,
        'Content-Type': c.contentType,
        'X-Amz-Algorithm': 'LOCAL-HMAC-SHA256',
        Policy: policy,
        'X-Amz-Signature': this.sign(policy),
      },
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
    if (!policy || given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, status: 403, reason: 'the upload form is not signed' };
    let p: unknown;
    try {
      p = JSON.parse(Buffer.from(policy, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, status: 403, reason: 'the upload form is not signed' };
    }
    if (!localPolicySchemaCheck(p)) return { ok: false, status: 403, reason: 'the upload form is not signed' };
    if (this.o.clock().getTime() >= Date.parse(p.expiresAt))
      return { ok: false, status: 403, reason: 'the upload form has expired' };
    if (fields.key !== p.key) return { ok: false, status: 403, reason: 'the key does not match the upload form' };
    if (fields['Content-Type'] !== p.contentType)
      return { ok: false, status: 403, reason: 'the content type does not match the upload form' };
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
    if (raw.length < HEADER_BYTES || !raw.subarray(0, MAGIC.length).equals(MAGIC))
      throw new Error('not a stored document');
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

  async bytes(key: string): Promise<Buffer> {
    return this.read(key);
  }

  async sha256(key: string): Promise<string> {
    return createHash('sha256')
      .update(await this.read(key))
      .digest('hex');
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

  /** R16: no versions here: the one file goes (1), or was already gone (0). */
  async deleteAllVersions(key: string): Promise<number> {
    try {
      await unlink(this.path(key));
      return 1;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
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
