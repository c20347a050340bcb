import { expect } from 'vitest';
import type { SystemConnector, RecordPage } from '../../functions/connectors/port.ts';
import { CATEGORIES } from '../../functions/domain/categories.ts';
import { ConnectorError } from '../../functions/domain/errors.ts';

/**
 * The small contract every connector keeps (R19): find → read → blockers, the same table for
 * each kind of system, so a third connector only has to supply a fixture.
 */
export interface ContractFixture {
  connector: SystemConnector;
  /** A patron the system holds, with exactly one item on loan. */
  cardNumber: string;
  lastName: string;
  /** The last name as a person might type it (case, accents, apostrophes aside). */
  typedLastName: string;
  /** A card the system does not hold. */
  unknownCard: string;
}

const BLOCKER_KINDS = ['on-loan', 'money-owed', 'hold', 'guarantor', 'refused-by-system'];
const PAGE_SIZE = 2;

export async function checkConnectorContract(f: ContractFixture): Promise<void> {
  const c = f.connector;
  expect(c.capabilities.operations).toEqual(expect.arrayContaining(['find', 'read', 'blockers']));
  expect(c.capabilities.categories.length).toBeGreaterThan(0);
  for (const category of c.capabilities.categories) expect(CATEGORIES).toContain(category);

  // find: the card finds, the last name must agree (R7); the reference is ids only (R5).
  const found = await c.findPatron(f.cardNumber, f.typedLastName);
  if (!found.found) throw new Error(`contract: ${c.type} did not find the fixture patron`);
  expect(found.ref.systemId).toBe(c.systemId);
  expect(found.ref.patronId).toMatch(/\S/);
  const refText = JSON.stringify(found.ref);
  expect(refText).not.toContain(f.cardNumber);
  expect(refText).not.toContain(f.lastName);
  expect(await c.findPatron(f.cardNumber, `${f.lastName}x`)).toEqual({ found: false, reason: 'name-mismatch' });
  expect(await c.findPatron(f.unknownCard, f.lastName)).toEqual({ found: false, reason: 'unknown-card' });

  // read: every category it claims, in pages no larger than asked, each record typed and id'd once.
  for (const category of c.capabilities.categories) {
    const ids = new Set<string>();
    const pages: RecordPage[] = [];
    for await (const page of c.readRecords(found.ref, category, { pageSize: PAGE_SIZE })) pages.push(page);
    for (const page of pages) {
      expect(page.category).toBe(category);
      expect(page.records.length).toBeGreaterThan(0);
      expect(page.records.length).toBeLessThanOrEqual(PAGE_SIZE);
      for (const record of page.records) {
        expect(typeof record.type).toBe('string');
        expect(ids.has(`${record.type}:${record.id}`)).toBe(false);
        ids.add(`${record.type}:${record.id}`);
      }
    }
    if (category === 'personal')
      expect(pages.flatMap((p) => p.records)).toContainEqual(
        expect.objectContaining({ type: 'profile', lastName: f.lastName, cardNumber: f.cardNumber }),
      );
    if (category === 'library-records')
      expect(pages.flatMap((p) => p.records).filter((r) => r.type === 'loan' && r.returnedAt === null)).toHaveLength(1);
  }
  // A category it does not claim is refused as unsupported, never read as empty.
  const missing = CATEGORIES.find((cat) => !c.capabilities.categories.includes(cat));
  if (missing) {
    const e = await (async () => {
      for await (const _ of c.readRecords(found.ref, missing)) return 'read';
      return 'empty';
    })().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConnectorError);
    expect((e as ConnectorError).reason).toBe('unsupported');
  }

  // blockers: the loan out is one (R8), in the port's kinds, counts and codes only (R5).
  const check = await c.checkBlockers(found.ref);
  expect(check.blockers).toContainEqual(expect.objectContaining({ kind: 'on-loan' }));
  for (const b of [...check.blockers.map((x) => x.kind), ...check.unchecked]) expect(BLOCKER_KINDS).toContain(b);
  expect(JSON.stringify(check)).not.toContain(f.lastName);
  expect(JSON.stringify(check)).not.toContain(f.cardNumber);
}
