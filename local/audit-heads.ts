import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { headsFromLines, headsToLines } from '../functions/adapters/audit-heads.ts';
import type { AuditHeadStore, ChainHead } from '../functions/domain/audit.ts';

/** The heads file's name in the audit folder, beside the key file. */
export const AUDIT_HEADS_FILE = 'audit-heads.jsonl';

/**
 * R17: chain heads on this machine, appended to one file (owner read/write only) and never
 * rewritten: the local stand-in for the Object Lock bucket. Nothing here opens it but to append.
 */
export class LocalAuditHeads implements AuditHeadStore {
  constructor(private readonly path: string) {}

  async record(heads: readonly ChainHead[]): Promise<void> {
    if (heads.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await appendFile(this.path, headsToLines(heads), { mode: 0o600, flag: 'a' });
  }

  async all(): Promise<ChainHead[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return headsFromLines(text, 'the audit heads file');
  }
}
