import type { Patron } from '../domain/dataset.ts';
import { IntegrityError } from '../domain/errors.ts';
import { sameLastName } from '../domain/request.ts';
import type { SystemConfig, SystemsFile } from '../domain/systems.ts';
import { hasConnector, type ConnectedSystem } from './index.ts';
import type { PatronRef, SystemConnector, SystemRecord } from './port.ts';
import type { LibraryRecords } from './records-table/library-records.ts';

/**
 * R19: a person's id at Privacy Desk names the system of record that knows them. The built-in
 * records table keeps the dataset's own ids (which never hold a `/`); any other system's id is
 * `<systemId>/<id there>`, so every request, hold and audit event stays ids only (R5).
 */
const SEPARATOR = '/';

export const qualifiedId = (ref: PatronRef, system: SystemConfig): string =>
  system.type === 'records-table' ? ref.patronId : `${ref.systemId}${SEPARATOR}${ref.patronId}`;

/** The system and its own id for a Privacy Desk person id; a plain id is the records table's. */
export function refOf(patronId: string, systems: SystemsFile): { system: SystemConfig; ref: PatronRef } | undefined {
  const cut = patronId.indexOf(SEPARATOR);
  if (cut < 0) {
    const table = systems.systems.find((s) => s.type === 'records-table');
    return table ? { system: table, ref: { systemId: table.id, patronId } } : undefined;
  }
  const system = systems.systems.find((s) => s.id === patronId.slice(0, cut));
  return system ? { system, ref: { systemId: system.id, patronId: patronId.slice(cut + 1) } } : undefined;
}

/**
 * The people Privacy Desk acts for, wherever the library keeps them (R19): a card number and last
 * name are matched against the systems marked `identity`, in the systems file's order, and the
 * first that knows the card is the person's system of record (CONTRACT.md). Their contact details
 * (R7: the email on file) come from that system.
 */
export class PatronDirectory {
  constructor(
    private readonly systems: SystemsFile,
    private readonly table: LibraryRecords,
    private readonly connector: (system: ConnectedSystem) => SystemConnector,
  ) {}

  /** R7: the card finds a candidate and the last name must agree; a wrong card and a wrong name look alike. */
  async findByCard(cardNumber: string, lastName: string): Promise<Patron | undefined> {
    for (const system of this.systems.systems) {
      if (!system.identity || !hasConnector(system)) continue;
      if (system.type === 'records-table') {
        const candidate = await this.table.findPatronByCard(cardNumber);
        if (!candidate) continue;
        return sameLastName(candidate.lastName, lastName) ? candidate : undefined;
      }
      const found = await this.connector(system).findPatron(cardNumber, lastName);
      if (found.found) return this.getPatron(qualifiedId(found.ref, system));
      // The system knows the card but not with this name: the card is its, so the search ends here.
      if (found.reason === 'name-mismatch') return undefined;
    }
    return undefined;
  }

  /**
   * R12: the card alone, for signed-in counsel whose order names a card: the first identity system
   * that knows it. Never for a public request (R7: there the last name must agree, `findByCard`).
   */
  async findByCardNumber(cardNumber: string): Promise<Patron | undefined> {
    for (const system of this.systems.systems) {
      if (!system.identity || !hasConnector(system)) continue;
      if (system.type === 'records-table') {
        const candidate = await this.table.findPatronByCard(cardNumber);
        if (candidate) return candidate;
        continue;
      }
      const ref = await this.connector(system).findByCardNumber?.(cardNumber);
      if (ref) return this.getPatron(qualifiedId(ref, system));
    }
    return undefined;
  }

  async getPatron(patronId: string): Promise<Patron | undefined> {
    const where = refOf(patronId, this.systems);
    if (!where || !hasConnector(where.system)) return undefined;
    if (where.system.type === 'records-table') return this.table.getPatron(where.ref.patronId);
    return this.fromConnector(patronId, this.connector(where.system), where.ref);
  }

  private async fromConnector(id: string, connector: SystemConnector, ref: PatronRef): Promise<Patron | undefined> {
    const profile = await firstOf(connector, ref, 'personal', 'profile');
    if (!profile) return undefined;
    const username = connector.capabilities.categories.includes('credentials')
      ? await firstOf(connector, ref, 'credentials', 'username')
      : undefined;
    if (!profile.cardNumber || !profile.lastName)
      throw new IntegrityError(`system ${ref.systemId} holds a patron without a card number or last name`);
    return {
      id,
      cardNumber: profile.cardNumber,
      firstName: profile.firstName ?? '',
      lastName: profile.lastName,
      // A system that keeps no birth date cannot show a minor: the person is treated as an adult,
      // which refuses a guardian (R9-R11) rather than disclose a child's records on a guess.
      dateOfBirth: profile.dateOfBirth ?? '1900-01-01',
      ...(profile.email ? { email: profile.email } : {}),
      ...(profile.phone ? { phone: profile.phone } : {}),
      ...(profile.address ? { address: profile.address } : {}),
      guarantorIds: [],
      ...(username ? { username: username.username } : {}),
      securityQuestions: [],
      paymentMethods: [],
      linkedAccounts: [],
      ...(profile.enrolledOn ? { enrolledOn: profile.enrolledOn } : {}),
      ...(profile.expiresOn ? { expiresOn: profile.expiresOn } : {}),
    };
  }
}

async function firstOf<T extends SystemRecord['type']>(
  connector: SystemConnector,
  ref: PatronRef,
  category: 'personal' | 'credentials',
  type: T,
): Promise<Extract<SystemRecord, { type: T }> | undefined> {
  for await (const page of connector.readRecords(ref, category))
    for (const record of page.records) if (record.type === type) return record as Extract<SystemRecord, { type: T }>;
  return undefined;
}
