import type { Dataset } from './dataset.ts';

/**
 * R8: "loading data again from a system never brings an erased person back". A completed erasure
 * is remembered as keyed fingerprints of the person's identifiers (their patron id and their card
 * number), never as the identifiers themselves: without the key, a fingerprint names nobody and
 * cannot be matched against a list of cards. A load skips every person whose id or card is
 * remembered, and every record that names such a person, so anonymised records are never re-linked.
 */

export type FingerprintKind = 'patron-id' | 'card';

/** The keyed hash (HMAC-SHA-256) of one identifier: a local key on this machine, a KMS HMAC key in AWS. */
export interface Fingerprinter {
  fingerprint(kind: FingerprintKind, value: string): Promise<string>;
}

/** Card numbers are typed with spaces and dashes and read back in either case: one spelling per card. */
export const normaliseCard = (card: string): string => card.replace(/[\s-]/g, '').toUpperCase();

/**
 * The exact bytes both fingerprinters key (local HMAC and KMS GenerateMac), so a memory written
 * by one engine is read the same by a load through the other with the same key. The kind is part
 * of the message: a card and a patron id that happen to be spelt alike never collide.
 */
export function fingerprintMessage(kind: FingerprintKind, value: string): string {
  const normalised = kind === 'card' ? normaliseCard(value) : value.trim();
  return `privacy-desk erased ${kind}\n${normalised}`;
}

/** A fingerprint as stored: the MAC's 32 bytes in lowercase hex. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

/** What a load knows of past erasures: the remembered fingerprints and how to compute one, synchronously. */
export interface ErasureMemory {
  remembered: ReadonlySet<string>;
  fingerprint(kind: FingerprintKind, value: string): string;
}

/** Nothing erased yet: every patron loads. */
export const NO_ERASURES: ErasureMemory = {
  remembered: new Set(),
  fingerprint: () => '',
};

export interface SkippedCounts {
  /** Patrons whose id or card is remembered as erased. */
  patrons: number;
  /** Their loans, holds, fines, programs, donations, shared content and guarantee links. */
  records: number;
}

/** The patrons of a dataset that an erasure remembered, by id or by card (R8). */
export function erasedPatronIds(d: Pick<Dataset, 'patrons'>, memory: ErasureMemory): Set<string> {
  const erased = new Set<string>();
  if (memory.remembered.size === 0) return erased;
  for (const p of d.patrons) {
    if (
      memory.remembered.has(memory.fingerprint('patron-id', p.id)) ||
      memory.remembered.has(memory.fingerprint('card', p.cardNumber))
    ) {
      erased.add(p.id);
    }
  }
  return erased;
}

/**
 * R8: the dataset without the people an erasure remembered: their profiles, every record whose
 * `patronId` is theirs, and every guarantee link to or from them (a link kept on another card would
 * name them again). Only counts say what was left out (R5).
 */
export function withoutErased(d: Dataset, memory: ErasureMemory): { dataset: Dataset; skipped: SkippedCounts } {
  const erased = erasedPatronIds(d, memory);
  if (erased.size === 0) return { dataset: d, skipped: { patrons: 0, records: 0 } };
  let records = 0;
  const keep = <T extends { patronId: string }>(rows: T[]): T[] =>
    rows.filter((r) => {
      if (!erased.has(r.patronId)) return true;
      records++;
      return false;
    });
  const patrons = [];
  for (const p of d.patrons) {
    if (erased.has(p.id)) {
      records += new Set(p.guarantorIds).size;
      continue;
    }
    const guarantorIds = p.guarantorIds.filter((g) => !erased.has(g));
    records += new Set(p.guarantorIds).size - new Set(guarantorIds).size;
    patrons.push(guarantorIds.length === p.guarantorIds.length ? p : { ...p, guarantorIds });
  }
  const dataset: Dataset = {
    ...d,
    patrons,
    loans: keep(d.loans),
    holds: keep(d.holds),
    fines: keep(d.fines),
    programs: keep(d.programs),
    donations: keep(d.donations),
    sharedContent: keep(d.sharedContent),
  };
  return { dataset, skipped: { patrons: erased.size, records } };
}
