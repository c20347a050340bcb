import { transientErrors } from '../aws-errors.ts';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';

/** Where a download is served from: a short-lived URL (S3) or the bytes themselves (local). */
export type Download = { kind: 'redirect'; url: string } | { kind: 'body'; body: Buffer; contentType: string };

export interface FileStore {
  put(key: string, body: string | Buffer, contentType: string): Promise<void>;
  /** Streams a body of any size to storage without holding it in memory (exports, R8a). */
  putStream(key: string, body: Readable, contentType: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  download(key: string, fileName: string, contentType: string): Promise<Download>;
  delete(key: string): Promise<void>;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]{0,200}$/;
export const checkFileKey = (key: string) => {
  if (!SAFE_KEY.test(key) || key.includes('..')) throw new Error('unsafe file key');
};

/** Files in the S3 bucket, encrypted by its default customer-managed key; downloads redirect to a five-minute presigned URL. */
export class S3FileStore implements FileStore {
  private readonly s3 = new S3Client({});
  constructor(private readonly bucket: string) {
    // S3's SlowDown and faults reach the workflow as TransientError (Faults).
    this.s3.middlewareStack.use(transientErrors('S3'));
  }

  async put(key: string, body: string | Buffer, contentType: string): Promise<void> {
    checkFileKey(key);
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async putStream(key: string, body: Readable, contentType: string): Promise<void> {
    checkFileKey(key);
    // Multipart upload in 5 MB parts: memory stays flat whatever the export's size.
    await new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType },
    }).done();
  }

  async exists(key: string): Promise<boolean> {
    checkFileKey(key);
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      if (e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchKey')) return false;
      throw e;
    }
  }

  async download(key: string, fileName: string, contentType: string): Promise<Download> {
    checkFileKey(key);
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentType: contentType,
        ResponseContentDisposition: `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      }),
      { expiresIn: 300 },
    );
    return { kind: 'redirect', url };
  }

  async delete(key: string): Promise<void> {
    checkFileKey(key);
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
