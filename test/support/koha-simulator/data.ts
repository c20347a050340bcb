/**
 * The simulator's own library: patrons, current and old checkouts, holds, account lines and
 * guarantees, each shaped as Koha's API gives it (definitions/*.yaml). Test helpers change it the
 * way staff would at the desk: return an item, pay a fine, end a guarantee, run the cleanup job.
 */

export type KohaObject = Record<string, unknown>;
export type Patron = KohaObject & { patron_id: number; cardnumber: string | null; surname: string | null };
export type Checkout = KohaObject & { checkout_id: number; patron_id: number; checkin_date: string | null };
export type AccountLine = KohaObject & { account_line_id: number; amount: number; amount_outstanding: number };

export interface NewPatron {
  cardnumber: string;
  surname: string;
  firstname?: string;
  email?: string | null;
  userid?: string | null;
  [field: string]: unknown;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

export class KohaData {
  readonly patrons = new Map<number, Patron>();
  /** Koha's `deletedborrowers`: a deleted patron stays here until the cleanup job runs. */
  readonly deletedPatrons = new Map<number, Patron>();
  readonly current = new Map<number, Checkout[]>();
  readonly old = new Map<number, Checkout[]>();
  readonly holds = new Map<number, KohaObject[]>();
  readonly debits = new Map<number, AccountLine[]>();
  readonly credits = new Map<number, AccountLine[]>();
  /** guarantee's patron_id → guarantor's patron_id */
  readonly guarantors = new Map<number, number>();
  private nextId = 1;

  constructor(private readonly now: () => number) {}

  private id(): number {
    return this.nextId++;
  }

  private time(offsetDays = 0): Date {
    return new Date(this.now() + offsetDays * 86_400_000);
  }

  addPatron(fields: NewPatron): number {
    const patron_id = this.id();
    this.patrons.set(patron_id, {
      patron_id,
      firstname: 'Sam',
      email: null,
      phone: null,
      address: '12 Elm Street',
      city: 'Greenwich',
      state: 'CT',
      postal_code: '06830',
      date_of_birth: '1980-04-02',
      library_id: 'MPL',
      category_id: 'PT',
      date_enrolled: '2019-01-15',
      expiry_date: '2029-01-15',
      userid: null,
      privacy: 1,
      privacy_guarantor_checkouts: 0,
      privacy_guarantor_fines: false,
      restricted: false,
      anonymized: false,
      autorenew_checkouts: true,
      check_previous_checkout: 'inherit',
      lang: 'default',
      protected: false,
      updated_on: stamp(this.time()),
      ...fields,
    });
    return patron_id;
  }

  private checkout(patron_id: number, checkin: Date | null, at: Date): Checkout {
    return {
      checkout_id: this.id(),
      patron_id,
      item_id: 1000 + this.nextId,
      library_id: 'MPL',
      checkout_date: stamp(at),
      due_date: stamp(new Date(at.getTime() + 21 * 86_400_000)),
      checkin_date: checkin ? stamp(checkin) : null,
      renewals_count: 0,
      auto_renew: false,
      onsite_checkout: false,
      timestamp: stamp(checkin ?? at),
    };
  }

  /** An item on loan now; returns its checkout_id. */
  addCheckout(patronId: number): number {
    const c = this.checkout(patronId, null, this.time(-3));
    this.listOf(this.current, patronId).push(c);
    return c.checkout_id;
  }

  /** `count` checkouts in the patron's history (Koha's old_issues), oldest first. */
  addReturnedCheckouts(patronId: number, count: number): void {
    const list = this.listOf(this.old, patronId);
    const start = this.now() - count * 3_600_000;
    for (let i = 0; i < count; i++) {
      const at = new Date(start + i * 3_600_000);
      list.push(this.checkout(patronId, new Date(at.getTime() + 1_800_000), at));
    }
  }

  /** The item comes back: the checkout moves to the history, and stops blocking a deletion. */
  returnItem(checkoutId: number): void {
    for (const [patronId, list] of this.current) {
      const i = list.findIndex((c) => c.checkout_id === checkoutId);
      if (i < 0) continue;
      const [c] = list.splice(i, 1);
      if (c) this.listOf(this.old, patronId).push({ ...c, checkin_date: stamp(this.time()) });
      return;
    }
    throw new Error(`no current checkout ${checkoutId}`);
  }

  addHold(patronId: number): number {
    const hold_id = this.id();
    this.listOf(this.holds, patronId).push({
      hold_id,
      patron_id: patronId,
      biblio_id: 500 + hold_id,
      hold_date: day(this.time(-1)),
      pickup_library_id: 'MPL',
      priority: 1,
      status: null,
      timestamp: stamp(this.time()),
      lowest_priority: false,
      suspended: false,
      non_priority: false,
      item_level: false,
    });
    return hold_id;
  }

  /** A fine or fee; `outstanding` defaults to the whole amount. */
  addDebit(patronId: number, amount: number, outstanding = amount): number {
    const line: AccountLine = {
      account_line_id: this.id(),
      patron_id: patronId,
      amount,
      amount_outstanding: outstanding,
      type: 'OVERDUE',
      description: 'Overdue fine',
      date: stamp(this.time(-2)),
      timestamp: stamp(this.time(-2)),
      status: outstanding > 0 ? 'UNRETURNED' : 'RETURNED',
      library_id: 'MPL',
    };
    this.listOf(this.debits, patronId).push(line);
    return line.account_line_id;
  }

  /** The patron pays everything owed: a payment credit, and every debit settled. */
  payAll(patronId: number): void {
    const owed = this.owed(patronId);
    for (const d of this.debits.get(patronId) ?? []) d.amount_outstanding = 0;
    if (owed <= 0) return;
    this.listOf(this.credits, patronId).push({
      account_line_id: this.id(),
      patron_id: patronId,
      amount: owed,
      amount_outstanding: 0,
      type: 'PAYMENT',
      description: 'Payment',
      date: stamp(this.time()),
      timestamp: stamp(this.time()),
      library_id: 'MPL',
    });
  }

  owed(patronId: number): number {
    return (this.debits.get(patronId) ?? []).reduce((sum, d) => sum + d.amount_outstanding, 0);
  }

  addGuarantee(guarantorId: number, guaranteeId: number): void {
    this.guarantors.set(guaranteeId, guarantorId);
  }

  endGuarantee(guaranteeId: number): void {
    this.guarantors.delete(guaranteeId);
  }

  /** Koha's cleanup job (`cleanup_database.pl --deleted-patrons`): purges deletedborrowers. */
  runCleanup(): void {
    this.deletedPatrons.clear();
  }

  /** What stops Koha deleting this patron, in Koha's own order and codes (Koha::Patron::safe_to_delete). */
  refusal(patronId: number): { error: string; error_code: string } | undefined {
    if ((this.current.get(patronId) ?? []).length > 0)
      return { error: 'Pending checkouts prevent deletion', error_code: 'has_checkouts' };
    if (this.owed(patronId) > 0) return { error: 'Pending debts prevent deletion', error_code: 'has_debt' };
    if ([...this.guarantors.values()].includes(patronId))
      return { error: 'Patron is a guarantor and it prevents deletion', error_code: 'has_guarantees' };
    return undefined;
  }

  /** Deletes as Koha does: the patron moves to deletedborrowers, their holds go. */
  delete(patronId: number): void {
    const patron = this.patrons.get(patronId);
    if (!patron) return;
    this.patrons.delete(patronId);
    this.deletedPatrons.set(patronId, patron);
    this.holds.delete(patronId);
  }

  touch(patron: Patron): void {
    patron.updated_on = stamp(this.time());
  }

  private listOf<T>(map: Map<number, T[]>, patronId: number): T[] {
    let list = map.get(patronId);
    if (!list) map.set(patronId, (list = []));
    return list;
  }
}
