import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkFileKey, type Download, type FileStore } from '../functions/adapters/s3/files.ts';

/** Files on the local disk, under the data folder. */
export class LocalFileStore implements FileStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    checkFileKey(key);
    const p = resolve(this.root, key);
    if (!p.startsWith(resolve(this.root) + sep)) throw new Error('unsafe file key');
    return p;
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true, mode: 0o700 });
    await writeFile(p, body, { mode: 0o600 });
  }

  async putStream(key: string, body: Readable): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true, mode: 0o700 });
    // Written aside, then renamed: a crash never leaves a half file under the real name.
    const partial = `${p}.partial`;
    try {
      await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
      await rename(partial, p);
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  async download(key: string, _fileName: string, contentType: string): Promise<Download> {
    return { kind: 'body', body: await readFile(this.path(key)), contentType };
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
