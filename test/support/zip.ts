import { crc32 } from 'node:zlib';
import { expect } from 'vitest';
import { fromBufferPromise } from 'yauzl';

/** Reads a whole zip with yauzl, checking each entry's CRC-32, into name → text. */
export async function unzip(buf: Buffer): Promise<Map<string, string>> {
  const zip = await fromBufferPromise(buf, { lazyEntries: true, strictFileNames: true });
  const out = new Map<string, string>();
  for await (const entry of zip.eachEntry()) {
    const data = Buffer.concat((await (await zip.openReadStreamPromise(entry)).toArray()) as Buffer[]);
    expect(crc32(data), entry.fileName).toBe(entry.crc32);
    out.set(entry.fileName, data.toString('utf8'));
  }
  return out;
}
