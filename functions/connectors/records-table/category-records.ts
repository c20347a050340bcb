import type { Category } from '../../domain/categories.ts';
import type { Donation, Fine, Hold, Loan, PatronRecords, Program, SharedContent } from '../../domain/dataset.ts';
import type { LibraryRecords } from './library-records.ts';

export type CategoryRecords = PatronRecords;

/**
 * A patron's records in the named categories only. What is not named is never read, so it cannot
 * reach a report for someone else (R9, R10: what a guardian may see; R14: what the patron permitted).
 */
export async function recordsForCategories(
  records: LibraryRecords,
  patronId: string,
  categories: readonly Category[],
): Promise<CategoryRecords> {
  const has = (c: Category) => categories.includes(c);
  const none = async <T>(): Promise<T[]> => [];
  const [loans, holds, programs, fines, donations, sharedContent] = await Promise.all([
    has('library-records') ? records.allRecords(patronId, 'LOAN') : none<Loan>(),
    has('library-records') ? records.allRecords(patronId, 'HOLD') : none<Hold>(),
    has('library-records') ? records.allRecords(patronId, 'PROGRAM') : none<Program>(),
    has('payments') ? records.allRecords(patronId, 'FINE') : none<Fine>(),
    has('donations') ? records.allRecords(patronId, 'DONATION') : none<Donation>(),
    has('shared-content') ? records.allRecords(patronId, 'SHARED') : none<SharedContent>(),
  ]);
  return { loans, holds, fines, programs, donations, sharedContent };
}
