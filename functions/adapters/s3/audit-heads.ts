import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AuditHeadStore, ChainHead } from '../../domain/audit.ts';
import { transientErrors } from '../aws-errors.ts';
import { headsFromLines, headsToLines } from '../audit-heads.ts';

export const HEADS_PREFIX = 'heads/';

/**
 * R17: chain heads in an S3 bucket with Object Lock (infra: default retention on every object
 * version), one object per copy, named by its time. A copy can be neither changed nor deleted
 * while it is retained: an overwrite only adds a version, and every version is read back.
 */
export class S3AuditHeads implements AuditHeadStore {
  private readonly s3 = new S3Client({});
  constructor(private readonly bucket: string) {
    this.s3.middlewareStack.use(transientErrors('S3'));
  }

  async record(heads: readonly ChainHead[], at: Date): Promise<void> {
    if (heads.length === 0) return;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${HEADS_PREFIX}${at.toISOString()}.jsonl`,
        Body: headsToLines(heads),
        ContentType: 'application/x-ndjson',
        // Object Lock takes a put only with an integrity checksum.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }

  /** Every version of every copy (the verifier's read: an overwrite cannot hide an earlier copy). */
  async all(): Promise<ChainHead[]> {
    const out: ChainHead[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: HEADS_PREFIX,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      for (const v of page.Versions ?? []) {
        if (!v.Key) continue;
        const res = await this.s3.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) }),
        );
        out.push(...headsFromLines((await res.Body?.transformToString('utf8')) ?? '', v.Key));
      }
      [keyMarker, versionMarker] = page.IsTruncated
        ? [page.NextKeyMarker, page.NextVersionIdMarker]
        : [undefined, undefined];
    } while (keyMarker);
    return out;
  }
}
