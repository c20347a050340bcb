import { hasConnector } from '../../connectors/index.ts';
import type { PatronRef, SystemConnector, SystemRecord } from '../../connectors/port.ts';
import type { Category } from '../../domain/categories.ts';
import type { Hold, PatronRecords, RecordTypes, SharedContent } from '../../domain/dataset.ts';
import { IntegrityError } from '../../domain/errors.ts';
import { publicResult, type SystemResult } from '../../domain/system-result.ts';
import type { SystemConfig } from '../../domain/systems.ts';
import type { Deps } from '../../lib/deps.ts';
import type { ExportSource } from '../../render/export-zip.ts';
import type { SystemSummary } from '../../render/report.ts';

/**
 * R18, R19: reports, exports and disclosures are assembled from what every system answered for the
 * request: the records of each API system that holds the person, read through its connector with the
 * person's id stored on its result, and a summary, system by system, of what was found. Only the
 * categories given are read at all (R9, R10, R12, R14).
 */
export interface SystemsRead {
  /** "Where your records are": one line per system the request reached, in the systems file's order. */
  summary: SystemSummary[];
  /** The records, kind by kind, page by page, in the shape the renderers take. */
  source: ExportSource;
}

type Kind = keyof RecordTypes;

/** Which category each record kind belongs to, and which of the port's record types it is made from. */
const KIND: { [K in Kind]: { category: Category; type: SystemRecord['type'] } } = {
  LOAN: { category: 'library-records', type: 'loan' },
  HOLD: { category: 'library-records', type: 'hold' },
  PROGRAM: { category: 'library-records', type: 'program' },
  FINE: { category: 'payments', type: 'account-line' },
  DONATION: { category: 'donations', type: 'donation' },
  SHARED: { category: 'shared-content', type: 'shared-content' },
};
const KIND_OF_TYPE = new Map(Object.entries(KIND).map(([k, v]) => [v.type, k as Kind]));

/**
 * Records of the kinds not being written yet are kept from the one read of a category, up to this many;
 * beyond it they are dropped and read again when their turn comes, so memory stays bounded whatever
 * a history's length (ARCHITECTURE.md, Budgets) and a long loan history is read once.
 */
const KEEP_LIMIT = 5_000;

interface Source {
  system: SystemConfig;
  connector: SystemConnector;
  ref: PatronRef;
  categories: Category[];
}

export async function readSystems(
  deps: Pick<Deps, 'systems' | 'systemResults' | 'connector'>,
  o: { requestId: string; patronId: string; categories: readonly Category[]; pageSize?: number },
): Promise<SystemsRead> {
  // R19: a file is assembled only from the systems' answers. No answer at all means no system holds
  // a category the request covers (an order naming only data kept without identity): nothing is read.
  const results = new Map((await deps.systemResults.list(o.requestId)).map((r) => [r.systemId, r]));
  const reached = deps.systems.systems.filter((s) => results.has(s.id));
  const summary = reached.map((s) => summaryOf(s, results.get(s.id) as SystemResult, o.categories));
  const sources: Source[] = [];
  for (const system of reached) {
    const result = results.get(system.id) as SystemResult;
    if (!hasConnector(system) || result.state !== 'done' || !result.ref) continue;
    const connector = deps.connector(system);
    const categories = o.categories.filter(
      (c) => system.categories.includes(c) && connector.capabilities.categories.includes(c),
    );
    sources.push({ system, connector, ref: { systemId: system.id, patronId: result.ref }, categories });
  }
  return { summary, source: new SystemsSource(sources, o.patronId, o.pageSize) };
}

function summaryOf(system: SystemConfig, r: SystemResult, categories: readonly Category[]): SystemSummary {
  const counts = r.counts
    ? Object.fromEntries(Object.entries(r.counts).filter(([c]) => categories.includes(c as Category)))
    : undefined;
  return {
    id: system.id,
    name: system.name,
    manual: system.type === 'manual',
    builtIn: system.type === 'records-table',
    categories: system.categories.filter((c) => categories.includes(c)),
    answer: publicResult(r),
    ...(counts && r.state === 'done' ? { counts } : {}),
    ...(r.answeredAt ? { answeredAt: r.answeredAt } : {}),
  };
}

/** A report is rendered whole (it is bounded by what a person reads); it takes every kind of the categories. */
export async function collectRecords(source: ExportSource, categories: readonly Category[]): Promise<PatronRecords> {
  const all = async <K extends Kind>(kind: K): Promise<RecordTypes[K][]> => {
    const out: RecordTypes[K][] = [];
    if (!categories.includes(KIND[kind].category)) return out;
    for await (const page of source.records(kind)) out.push(...page);
    return out;
  };
  return {
    loans: await all('LOAN'),
    holds: await all('HOLD'),
    programs: await all('PROGRAM'),
    fines: await all('FINE'),
    donations: await all('DONATION'),
    sharedContent: await all('SHARED'),
  };
}

/**
 * The records of every source, kind by kind. A connector reads a category whole (a system's loans,
 * holds and programs come in one stream): the first kind asked for reads it, and the other kinds'
 * records met on the way are kept for their turn (bounded by KEEP_LIMIT).
 */
class SystemsSource implements ExportSource {
  private readonly kept = new Map<string, Map<Kind, SystemRecord[]>>();
  private readonly overflowed = new Set<string>();

  constructor(
    private readonly sources: Source[],
    private readonly patronId: string,
    private readonly pageSize: number | undefined,
  ) {}

  async *records<K extends Kind>(kind: K): AsyncGenerator<RecordTypes[K][]> {
    const { category } = KIND[kind];
    for (const s of this.sources) {
      if (!s.categories.includes(category)) continue;
      const key = `${s.system.id}:${category}`;
      const kept = this.kept.get(key);
      if (kept && !this.overflowed.has(`${key}:${kind}`)) {
        const records = kept.get(kind) ?? [];
        kept.delete(kind);
        if (records.length > 0) yield records.map((r) => this.toDataset(s, kind, r));
        continue;
      }
      // The first read of this category in this system (or a kind that did not fit in memory).
      kept?.delete(kind);
      const keep = kept === undefined ? new Map<Kind, SystemRecord[]>() : undefined;
      let keptCount = 0;
      for await (const page of s.connector.readRecords(
        s.ref,
        category,
        this.pageSize ? { pageSize: this.pageSize } : {},
      )) {
        const mine: RecordTypes[K][] = [];
        for (const record of page.records) {
          const recordKind = KIND_OF_TYPE.get(record.type);
          if (recordKind === kind) mine.push(this.toDataset(s, kind, record));
          else if (keep && recordKind) {
            if (keptCount < KEEP_LIMIT) {
              const list = keep.get(recordKind);
              if (list) list.push(record);
              else keep.set(recordKind, [record]);
              keptCount++;
            } else this.overflowed.add(`${key}:${recordKind}`);
          }
        }
        if (mine.length > 0) yield mine;
      }
      if (keep) this.kept.set(key, keep);
    }
  }

  /**
   * A system's record in the renderers' shape. The connector read it by this person's id in that
   * system, so it is theirs (R1); an id from another system than the records table names its system,
   * so two systems' ids never collide and a reader sees where each record is.
   */
  private toDataset<K extends Kind>(s: Source, kind: K, r: SystemRecord): RecordTypes[K] {
    const id = s.system.type === 'records-table' ? r.id : `${s.system.id}/${r.id}`;
    const owned = { id, patronId: this.patronId };
    const mapped = toDatasetShape(r, owned);
    if (!mapped) throw new IntegrityError(`a ${r.type} record where ${kind} was read`);
    return mapped as RecordTypes[K];
  }
}

/** A system's hold status in the dataset's words: Koha's `W` is waiting at the desk; anything else still waits. */
const holdStatus = (status: string | null): Hold['status'] => {
  if (status === 'waiting' || status === 'ready' || status === 'fulfilled' || status === 'cancelled') return status;
  return status === 'W' ? 'ready' : 'waiting';
};

const sharedKind = (kind: string): SharedContent['kind'] =>
  kind === 'list' || kind === 'recommendation' ? kind : 'review';

function toDatasetShape(r: SystemRecord, owned: { id: string; patronId: string }): RecordTypes[Kind] | undefined {
  switch (r.type) {
    case 'loan':
      return {
        ...owned,
        itemId: r.itemId ?? '',
        // Koha names the item, not the title, on a checkout: the item is what the report can show.
        title: r.title ?? (r.itemId ? `Item ${r.itemId}` : 'Item'),
        ...(r.branch ? { branch: r.branch } : {}),
        checkedOutAt: r.checkedOutAt ?? '',
        dueAt: r.dueAt ?? '',
        returnedAt: r.returnedAt,
      };
    case 'hold':
      return {
        ...owned,
        title: r.title ?? (r.titleId ? `Title ${r.titleId}` : 'Title'),
        placedAt: r.placedAt ?? '',
        status: holdStatus(r.status),
      };
    case 'program':
      return { ...owned, title: r.title ?? '', date: r.date ?? '', attended: r.attended ?? false };
    case 'account-line':
      return {
        ...owned,
        amount: r.amount,
        outstanding: r.outstanding,
        reason: r.description ?? r.lineType ?? (r.direction === 'credit' ? 'Payment or credit' : 'Charge'),
        createdAt: r.createdAt ?? '',
      };
    case 'donation':
      return { ...owned, amount: r.amount, date: r.date ?? '', ...(r.campaign ? { campaign: r.campaign } : {}) };
    case 'shared-content':
      return {
        ...owned,
        kind: sharedKind(r.contentKind),
        title: r.title ?? '',
        text: r.text,
        createdAt: r.createdAt ?? '',
      };
    default:
      return undefined;
  }
}
