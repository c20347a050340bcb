import * as z from '../../domain/zod.ts';
import type { Category } from '../../domain/categories.ts';
import { ConnectorError } from '../../domain/errors.ts';
import { sameLastName, type CorrectionChanges } from '../../domain/request.ts';
import {
  ConnectorTransientError,
  type BlockerCheck,
  type ConnectorCapabilities,
  type CorrectResult,
  type DeletionBlocker,
  type EraseResult,
  type FindResult,
  type PatronRef,
  type PreferenceChange,
  type ReadOptions,
  type RecordPage,
  type SystemConnector,
  type SystemRecord,
} from '../port.ts';
import { KohaAuthorizer } from './auth.ts';
import { send, type FetchLike, type KohaAnswer, type KohaCall, type Transport } from './http.ts';
import { nextPage } from './pagination.ts';
import { correctionUpdate, patronPutBody, readingHistoryUpdate, type PatronUpdate } from './patron-update.ts';
import { accountLineRecord, holdRecord, loanRecord, profileRecord } from './records.ts';
import {
  kohaAccountLineListSchema,
  kohaBalanceSchema,
  kohaCheckoutListSchema,
  kohaErrorSchema,
  kohaHoldListSchema,
  kohaPatronListSchema,
  kohaPatronSchema,
  type KohaPatron,
} from './schemas.ts';
import type { KohaSettings } from './settings.ts';

/** R8: Koha's `DELETE /patrons/{id}` 409 reason codes (paths/patrons.yaml), as deletion blockers. */
const REFUSALS: Record<string, DeletionBlocker> = {
  has_checkouts: { kind: 'on-loan' },
  has_debt: { kind: 'money-owed' },
  has_guarantees: { kind: 'guarantor' },
};

/** A reason code is a short token; anything else is not passed on (R5: no free text leaves a system). */
const safeCode = (code: string | undefined) => (code && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'unspecified');

export interface KohaConnectorOptions {
  fetch?: FetchLike;
  now?: () => number;
  /**
   * A `Retry-After` up to this long is waited out here, once, before the call is tried again; a
   * longer one (or a second refusal) is left to the workflow's Retry, carried on the error.
   */
  maxRetryAfterWaitMs?: number;
}

const DEFAULT_MAX_RETRY_AFTER_WAIT_MS = 2000;

/**
 * The Koha ILS through its REST API (R19; `../shared/koha-api/` is the spec it is tested against).
 * Deleting a patron moves them to Koha's `deletedborrowers` until its cleanup job runs, so an
 * erasure reports `pendingCleanup` (R8: no letter says "removed" before it is true).
 */
export class KohaConnector implements SystemConnector {
  readonly type = 'koha';
  readonly capabilities: ConnectorCapabilities = {
    categories: ['personal', 'credentials', 'library-records', 'payments'],
    operations: ['find', 'read', 'blockers', 'erase', 'correct', 'preferences'],
    preferences: ['reading-history'],
  };
  readonly systemId: string;
  private readonly transport: Transport;
  private readonly auth: KohaAuthorizer;
  private readonly maxRetryAfterWaitMs: number;

  constructor(
    private readonly settings: KohaSettings,
    options: KohaConnectorOptions = {},
  ) {
    this.systemId = settings.systemId;
    this.transport = { settings, fetch: options.fetch ?? fetch, now: options.now ?? Date.now };
    this.auth = new KohaAuthorizer(this.transport);
    this.maxRetryAfterWaitMs = options.maxRetryAfterWaitMs ?? DEFAULT_MAX_RETRY_AFTER_WAIT_MS;
  }

  async findPatron(cardNumber: string, lastName: string): Promise<FindResult> {
    const patron = await this.byCard(cardNumber);
    if (!patron) return { found: false, reason: 'unknown-card' };
    // R7: the card alone names nobody; the last name on file must agree.
    if (!sameLastName(patron.surname ?? '', lastName)) return { found: false, reason: 'name-mismatch' };
    return { found: true, ref: { systemId: this.systemId, patronId: String(patron.patron_id) } };
  }

  async findByCardNumber(cardNumber: string): Promise<PatronRef | undefined> {
    const patron = await this.byCard(cardNumber);
    return patron ? { systemId: this.systemId, patronId: String(patron.patron_id) } : undefined;
  }

  private async byCard(cardNumber: string) {
    const answer = await this.call({
      op: 'listPatrons',
      method: 'GET',
      path: '/patrons',
      // Koha's default `_match` is `contains`: without `exact`, card 1234 would also find 12345.
      query: { cardnumber: cardNumber, _match: 'exact', _per_page: 2 },
    });
    const patrons = this.parse(kohaPatronListSchema, answer, 'listPatrons');
    return patrons.find((p) => p.cardnumber?.trim() === cardNumber.trim());
  }

  async *readRecords(ref: PatronRef, category: Category, options: ReadOptions = {}): AsyncGenerator<RecordPage> {
    const id = this.patronId(ref);
    const perPage = options.pageSize ?? this.settings.pageSize;
    const pageOf = (records: SystemRecord[]): RecordPage => ({ category, records });
    switch (category) {
      case 'personal':
        yield pageOf([profileRecord(await this.getPatron(id))]);
        return;
      case 'credentials': {
        // The username only: Koha's API never gives a password, and nothing here would pass one on.
        const { userid } = await this.getPatron(id);
        if (userid) yield pageOf([{ type: 'username', id: String(id), username: userid }]);
        return;
      }
      case 'library-records': {
        const checkouts = (checkedIn: boolean) =>
          this.pages(
            { op: 'listCheckouts', method: 'GET', path: '/checkouts', query: { patron_id: id, checked_in: checkedIn } },
            kohaCheckoutListSchema,
            perPage,
          );
        for await (const page of checkouts(false)) yield pageOf(page.map(loanRecord));
        for await (const page of checkouts(true)) yield pageOf(page.map(loanRecord));
        const holds = { op: 'getPatronHolds', method: 'GET', path: `/patrons/${id}/holds` } as const;
        for await (const page of this.pages(holds, kohaHoldListSchema, perPage)) yield pageOf(page.map(holdRecord));
        return;
      }
      case 'payments':
        for (const direction of ['debit', 'credit'] as const) {
          const op = direction === 'debit' ? 'listPatronDebits' : 'listPatronCredits';
          const lines = { op, method: 'GET', path: `/patrons/${id}/account/${direction}s` } as const;
          for await (const page of this.pages(lines, kohaAccountLineListSchema, perPage))
            yield pageOf(page.map(accountLineRecord(direction)));
        }
        return;
      default:
        throw this.unsupported(`reading ${category}`);
    }
  }

  /** R8: loans and money owed are read ahead; guarantees only show when Koha refuses the deletion. */
  async checkBlockers(ref: PatronRef): Promise<BlockerCheck> {
    const id = this.patronId(ref);
    const [loans, account] = await Promise.all([
      this.call({ op: 'listCheckouts', method: 'GET', path: '/checkouts', query: { patron_id: id, _per_page: 1 } }),
      this.call({ op: 'getPatronAccount', method: 'GET', path: `/patrons/${id}/account`, accept: [404] }),
    ]);
    const blockers: DeletionBlocker[] = [];
    const firstLoans = this.parse(kohaCheckoutListSchema, loans, 'listCheckouts');
    const total = Number(loans.headers.get('x-total-count'));
    const onLoan = Number.isInteger(total) && loans.headers.has('x-total-count') ? total : firstLoans.length;
    if (onLoan > 0) blockers.push({ kind: 'on-loan', count: onLoan });
    if (account.status !== 404) {
      const balance = this.parse(kohaBalanceSchema, account, 'getPatronAccount');
      const owed = balance.outstanding_debits?.total ?? balance.balance;
      if (owed > 0) blockers.push({ kind: 'money-owed', amount: owed });
    }
    return { blockers, unchecked: ['guarantor'] };
  }

  async erase(ref: PatronRef): Promise<EraseResult> {
    const id = this.patronId(ref);
    const answer = await this.call({
      op: 'deletePatron',
      method: 'DELETE',
      path: `/patrons/${id}`,
      accept: [400, 404, 409],
    });
    if (answer.status === 404) return { result: 'absent' };
    if (answer.status === 400 || answer.status === 409) {
      const code = this.parse(kohaErrorSchema, answer, 'deletePatron').error_code;
      const blocker = code ? REFUSALS[code] : undefined;
      return {
        result: 'blocked',
        blockers: [blocker ?? { kind: 'refused-by-system', code: safeCode(code ?? `http_${answer.status}`) }],
      };
    }
    // Koha keeps the patron in deletedborrowers until its cleanup job purges it (R8: said honestly).
    return { result: 'done', pendingCleanup: true };
  }

  /** R6: made in Koha itself. Koha has no PATCH for patrons: the whole record goes back with the changes. */
  async correct(ref: PatronRef, changes: CorrectionChanges): Promise<CorrectResult> {
    const id = this.patronId(ref);
    await this.putPatron(id, await this.getPatron(id), correctionUpdate(changes));
    return { result: 'done', fields: Object.keys(changes) as (keyof CorrectionChanges)[] };
  }

  async setPreferences(ref: PatronRef, change: PreferenceChange): Promise<void> {
    // R20: this Koha API has no field for outreach contact; that opt-out is another system's (or a task's).
    if (change.outreach) throw this.unsupported('outreach opt-out');
    if (change.readingHistory === undefined) return;
    const id = this.patronId(ref);
    await this.putPatron(id, await this.getPatron(id), readingHistoryUpdate(change.readingHistory));
  }

  private async getPatron(id: number): Promise<KohaPatron> {
    const answer = await this.call({ op: 'getPatron', method: 'GET', path: `/patrons/${id}` });
    return this.parse(kohaPatronSchema, answer, 'getPatron');
  }

  private async putPatron(id: number, current: KohaPatron, update: PatronUpdate): Promise<void> {
    const body = patronPutBody(current, update);
    const answer = await this.call({ op: 'updatePatron', method: 'PUT', path: `/patrons/${id}`, body });
    this.parse(kohaPatronSchema, answer, 'updatePatron');
  }

  /** Pages through a list, one request per page, holding one page at a time. */
  private async *pages<T>(call: KohaCall, schema: z.core.$ZodType<T[]>, perPage: number): AsyncGenerator<T[]> {
    for (let page: number | null = 1; page !== null;) {
      const answer = await this.call({ ...call, query: { ...call.query, _page: page, _per_page: perPage } });
      const items = this.parse(schema, answer, call.op);
      if (items.length > 0) yield items;
      page = items.length === 0 ? null : nextPage(answer.headers, page, perPage, items.length);
    }
  }

  /**
   * One call with credentials. A short `Retry-After` is honoured here once; every call the
   * connector makes is a read, a whole-record PUT or a DELETE, so repeating one does no harm.
   */
  private async call(call: KohaCall): Promise<KohaAnswer> {
    try {
      return await this.authorisedCall(call);
    } catch (e) {
      const wait = e instanceof ConnectorTransientError ? e.retryAfterMs : undefined;
      if (wait === undefined || wait > this.maxRetryAfterWaitMs) throw e;
      await new Promise((resolve) => setTimeout(resolve, wait));
      return this.authorisedCall(call);
    }
  }

  /** An OAuth2 token Koha refuses is renewed once (it may have been revoked, or expired early). */
  private async authorisedCall(call: KohaCall): Promise<KohaAnswer> {
    const attempt = async () => {
      const headers: Record<string, string> = { accept: 'application/json', authorization: await this.auth.header() };
      if (call.body === undefined) return send(this.transport, call, { headers });
      headers['content-type'] = 'application/json';
      return send(this.transport, call, { headers, body: JSON.stringify(call.body) });
    };
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof ConnectorError && e.status === 401 && this.auth.renewable)) throw e;
      this.auth.forget();
      return attempt();
    }
  }

  /** zod at the boundary; the error names the fields that failed, never their values (R5). */
  private parse<T>(schema: z.core.$ZodType<T>, answer: KohaAnswer, op: string): T {
    const parsed = z.safeParse(schema, answer.body);
    if (parsed.success) return parsed.data;
    const where = parsed.error.issues
      .slice(0, 3)
      .map((i) => i.path.join('.') || '(root)')
      .join(', ');
    throw new ConnectorError(
      `system ${this.systemId}: ${op} answer is not what the API promises (at ${where})`,
      'malformed',
    );
  }

  private patronId(ref: PatronRef): number {
    const id = Number(ref.patronId);
    if (ref.systemId !== this.systemId || !Number.isSafeInteger(id) || id <= 0)
      throw new ConnectorError(`system ${this.systemId}: a patron reference of another system`, 'rejected');
    return id;
  }

  private unsupported(what: string): ConnectorError {
    return new ConnectorError(`system ${this.systemId} (koha) does not support ${what}`, 'unsupported');
  }
}
