import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { CATEGORIES, type Category } from '../domain/categories.ts';
import { IntegrityError } from '../domain/errors.ts';
import {
  categoryHeader,
  csvFileName,
  csvHeader,
  csvStatementLine,
  EXPORT_JSON_NAME,
  exportHeader,
  exportPlan,
  rowWriter,
  type CategoryExport,
  type ExportRecordKind,
  type ExportRecordTypes,
  type ExportRow,
  type RecordsPart,
} from '../domain/export-format.ts';
import type { Policy } from '../domain/policy.ts';
import type { Verification } from '../domain/request.ts';
import type { Patron } from '../domain/dataset.ts';
import { systemLine, type SystemSummary } from './report.ts';

/**
 * The streaming export writer (R8a): one zip holding `export.json` (every category) and one CSV
 * per category, produced while the patron's records are paged through, so memory stays flat
 * whatever the history's length.
 *
 * A zip stores each file's bytes contiguously, so two files cannot be written at once: while the
 * JSON streams into the zip, the CSV rows of the same pages go to a spool on the local disk, and
 * each CSV is streamed from there into the zip once the JSON is complete. The records are read
 * once (the JSON and the CSVs are the same snapshot, in about the time of one paginated read) and
 * nothing is held in memory. The spool is encrypted with a key that exists only in this process's
 * memory (AES-256-CTR), and deleted when the zip ends or fails: personal data never rests in clear
 * on local disk, and what a crash leaves behind cannot be read.
 */
export interface ExportSource {
  /** The patron's records of one kind, page by page. */
  records<K extends ExportRecordKind>(kind: K): AsyncIterable<ExportRecordTypes[K][]>;
}

export interface ExportInput {
  policy: Policy;
  library: { name: string };
  /** ISO date-time; also each file's time in the zip. */
  generatedAt: string;
  requestId: string;
  patron: Patron;
  verification: Verification;
  source: ExportSource;
  /** R18, R19: what each system the request reached answered, as `systems` in the JSON. */
  systems?: SystemSummary[];
}

export interface ExportSummary {
  /** The files in the zip, in order. */
  entries: string[];
  /** Rows written per category (ids-free counts, for the caller's checks and benchmarks). */
  rows: Record<Category, number>;
}

export interface ExportZip {
  /** The zip's bytes; pipe it to storage. Destroying it stops the export and cleans up. */
  stream: Readable;
  /** Settles when the last byte has been read from `stream`, or with the first error. */
  done: Promise<ExportSummary>;
}

export interface ExportZipOptions {
  /** Where the encrypted CSV spool lives (default: the OS temp folder, /tmp in Lambda). */
  spoolDir?: string;
}

/**
 * zlib's fastest level. At 100,000 loans (bench:export) the zip is 4.7 MB instead of 3.9 MB at the
 * default level, and the export's own CPU, without the store, 0.62 s instead of 1.01 s: the part of
 * an export above reading the records (issue 15). The patron downloads it once.
 */
const EXPORT_DEFLATE_LEVEL = 1;

/** Starts the export. It reads only as fast as `stream` is consumed (back-pressure all the way to the source). */
export function createExportZip(input: ExportInput, opts: ExportZipOptions = {}): ExportZip {
  const plan = exportPlan(input.policy);
  const zip = new ZipFile();
  const out = zip.outputStream as PassThrough;
  const spool = new Spool(opts.spoolDir ?? tmpdir());
  const rows = Object.fromEntries(plan.map((c) => [c.category, 0])) as Record<Category, number>;
  const entries = [EXPORT_JSON_NAME, ...plan.map((c) => csvFileName(c.category))];
  // Private files when unpacked (POSIX mode of each entry); the export's own time on each.
  const entryOptions = { mtime: new Date(input.generatedAt), mode: 0o100600, compressionLevel: EXPORT_DEFLATE_LEVEL };

  const inputs: Readable[] = [];
  // yazl does not watch its input streams' errors: any error ends the zip stream with that error.
  const fail = (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e)));
  zip.on('error', fail);
  const watch = (r: Readable): Readable => {
    inputs.push(r);
    r.on('error', fail);
    return r;
  };

  zip.addReadStream(
    watch(Readable.from(jsonChunks(input, plan, spool, rows), { objectMode: false })),
    EXPORT_JSON_NAME,
    entryOptions,
  );
  for (const c of plan) {
    // Lazy: the file is opened only when its turn comes, after the JSON (and so the spool) is complete.
    zip.addReadStreamLazy(csvFileName(c.category), entryOptions, (cb) => {
      try {
        cb(null, watch(spool.reader(c.category)));
      } catch (e) {
        cb(e, new PassThrough());
      }
    });
  }
  zip.end();

  const done = finished(out).then(
    () => ({ entries, rows }),
    (e: unknown) => {
      // The consumer gave up or something failed: stop reading and writing at once.
      for (const r of inputs) r.destroy();
      throw e;
    },
  );
  const cleaned = done.finally(() => spool.remove());
  // `done` is the caller's to await; the clean-up's own settling must not surface as unhandled.
  cleaned.catch(() => undefined);
  return { stream: out, done: cleaned };
}

const json = (value: unknown): string => JSON.stringify(value);
/** `{"a":1}` → `"a":1`: an object's members, to continue an object already open. */
const members = (value: object): string => json(value).slice(1, -1);

/**
 * The JSON document, written as the records are read. It is one object:
 * `{"format","version",…,"categories":{"<category>":{"title",…,"data":{"<part>":[…]}}}}`.
 */
async function* jsonChunks(
  input: ExportInput,
  plan: CategoryExport[],
  spool: Spool,
  rows: Record<Category, number>,
): AsyncGenerator<string> {
  try {
    await spool.open(plan);
    const systems = input.systems ? `,"systems":${json(systemsJson(input.systems, input.policy))}` : '';
    yield `{${members(exportHeader(input))}${systems},"categories":{`;
    for (const [i, c] of plan.entries()) {
      const head = `${i > 0 ? ',' : ''}${json(c.category)}:{${members(categoryHeader(c))}`;
      if (c.statement !== undefined) {
        await spool.write(c.category, csvStatementLine(c));
        rows[c.category]++;
        yield `${head},"statement":${json(c.statement)}}`;
        continue;
      }
      yield `${head},"data":{`;
      for (const [j, part] of c.parts.entries()) {
        const key = `${j > 0 ? ',' : ''}${json(part.name)}:`;
        const writer = rowWriter(c, part);
        if (part.source === 'patron') {
          const items = part.rows(input.patron);
          await spool.write(c.category, items.map((r) => writer.csv(r)).join(''));
          rows[c.category] += items.length;
          const body = part.single
            ? items[0]
              ? writer.json(items[0])
              : 'null'
            : `[${items.map((r) => writer.json(r)).join(',')}]`;
          yield key + body;
          continue;
        }
        yield `${key}[`;
        let first = true;
        for await (const page of pagesOf(input, part)) {
          // One chunk per page: the JSON goes on into the zip, the CSV rows to the spool.
          let text = '';
          let csv = '';
          for (const row of page) {
            text += first ? writer.json(row) : `,${writer.json(row)}`;
            csv += writer.csv(row);
            first = false;
          }
          rows[c.category] += page.length;
          await spool.write(c.category, csv);
          yield text;
        }
        yield ']';
      }
      yield '}}';
    }
    yield '}}\n';
    await spool.close();
  } finally {
    // Normal end: already closed. Early end (error, or the consumer gave up): stop the writers.
    spool.abort();
  }
}

/** R19: "where your records are", system by system, with the sentence the report prints for each. */
export const systemsJson = (systems: SystemSummary[], policy: Policy, categories: readonly Category[] = CATEGORIES) =>
  systems.map((s) => ({
    id: s.id,
    name: s.name,
    handledBy: s.manual ? 'staff' : 'connector',
    result: s.answer,
    ...(s.counts ? { counts: s.counts } : {}),
    ...(s.answeredAt ? { answeredAt: s.answeredAt } : {}),
    statement: systemLine(s, categories, { policy }, { day: (iso) => iso.slice(0, 10) }),
  }));

/**
 * A part's pages as rows. A record of another patron here would disclose someone else's data
 * (R1): the export stops rather than filter it away silently; the message names ids only (R5).
 */
async function* pagesOf(input: ExportInput, part: RecordsPart): AsyncGenerator<ExportRow[]> {
  const mapRow = part.row as (r: ExportRecordTypes[ExportRecordKind]) => ExportRow;
  for await (const page of readAhead(input.source.records(part.kind))) {
    const stray = page.find((r) => r.patronId !== input.patron.id);
    if (stray) throw new IntegrityError(`${part.name} record ${stray.id} does not belong to the export's patron`);
    yield page.map(mapRow);
  }
}

/**
 * Keeps the next page's query in flight while the current page is written and compressed, so
 * waiting on the database overlaps with the work (one page more in memory, never more).
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const pull = () => {
    const p = it.next();
    p.catch(() => undefined); // observed now; the error surfaces where it is awaited
    return p;
  };
  let next = pull();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = pull();
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

/** Per-category CSV files on local disk, encrypted with a key held only in memory. */
class Spool {
  private dir: string | undefined;
  private opening: Promise<void> | undefined;
  private removed = false;
  private readonly key = randomBytes(32);
  private readonly files = new Map<Category, { path: string; iv: Buffer; cipher: Writable; written: Promise<void> }>();

  constructor(private readonly parent: string) {}

  open(plan: CategoryExport[]): Promise<void> {
    if (this.removed) return Promise.reject(new Error('the export was stopped'));
    this.opening = this.create(plan);
    return this.opening;
  }

  private async create(plan: CategoryExport[]): Promise<void> {
    this.dir = await mkdtemp(join(this.parent, 'privacy-desk-export-'));
    for (const c of plan) {
      const path = join(this.dir, `${c.category}.csv.enc`);
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-256-ctr', this.key, iv);
      const written = pipeline(cipher, createWriteStream(path, { mode: 0o600 }));
      // Observed here; an error also fails the next write or close, which the export awaits.
      written.catch(() => undefined);
      this.files.set(c.category, { path, iv, cipher, written });
      await this.write(c.category, csvHeader(c));
    }
  }

  /** Writes with back-pressure: waits while the disk is behind. */
  async write(category: Category, text: string): Promise<void> {
    if (text === '') return;
    const f = this.file(category);
    if (!f.cipher.write(text)) await Promise.race([once(f.cipher, 'drain'), f.written]);
  }

  async close(): Promise<void> {
    for (const f of this.files.values()) f.cipher.end();
    await Promise.all([...this.files.values()].map((f) => f.written));
  }

  abort(): void {
    for (const f of this.files.values()) if (!f.cipher.writableFinished) f.cipher.destroy();
  }

  reader(category: Category): Readable {
    const f = this.file(category);
    const decipher = createDecipheriv('aes-256-ctr', this.key, f.iv);
    return createReadStream(f.path)
      .on('error', (e) => decipher.destroy(e))
      .pipe(decipher);
  }

  /** Stops the writers and deletes the folder; an open still under way finishes first, so nothing is left behind. */
  async remove(): Promise<void> {
    this.removed = true;
    await this.opening?.catch(() => undefined);
    this.abort();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private file(category: Category) {
    const f = this.files.get(category);
    if (!f) throw new Error(`no spool for ${category}`);
    return f;
  }
}
