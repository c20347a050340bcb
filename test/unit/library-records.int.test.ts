import { describe, expect, it } from 'vitest';
import { LibraryRecords } from '../../functions/connectors/records-table/library-records.ts';
import { datasetToItems, readDatasetFile } from '../../functions/connectors/records-table/load-dataset.ts';
import { IntegrityError } from '../../functions/domain/errors.ts';
import { putItems, useDynalite } from '../support/dynalite.ts';

const TABLE = 'records';
const DEMO = new URL('../../local/demo-dataset.json', import.meta.url).pathname;

async function refusal(read: Promise<unknown>): Promise<Error> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrityError);
  return error as Error;
}

describe('the records table parses every item it reads (R5)', () => {
  const dynamo = useDynalite([TABLE]);

  it('a stored patron and their loans read back exactly as the dataset gave them', async () => {
    const dataset = await readDatasetFile(DEMO);
    await putItems(dynamo.db, TABLE, datasetToItems(dataset));
    const records = new LibraryRecords(dynamo.db, TABLE);
    const ada = dataset.patrons.find((p) => p.lastName === 'Lovelace');
    if (!ada) throw new Error('the demo dataset has no Ada Lovelace');
    expect(await records.getPatron(ada.id)).toEqual(ada);
    expect(await records.findPatronByCard(ada.cardNumber)).toEqual(ada);
    expect(await records.allRecords(ada.id, 'LOAN')).toEqual(dataset.loans.filter((l) => l.patronId === ada.id));
  });

  it('R5: a corrupt patron item is refused, naming the field and never the value', async () => {
    const dataset = await readDatasetFile(DEMO);
    const item = datasetToItems(dataset).find((i) => i.kind === 'PATRON' && i.id === dataset.patrons[0]?.id);
    if (!item) throw new Error('no patron item');
    await putItems(dynamo.db, TABLE, [{ ...item, email: 'not an address <grace@example.org>' }]);
    const e = await refusal(new LibraryRecords(dynamo.db, TABLE).getPatron(String(item.id)));
    expect(e.message).toContain('patron');
    expect(e.message).toContain('email');
    expect(e.message).not.toContain('grace@example.org');
  });

  it('R5: a corrupt loan is refused, not passed on as a loan', async () => {
    const dataset = await readDatasetFile(DEMO);
    const loan = datasetToItems(dataset).find((i) => i.kind === 'LOAN');
    if (!loan) throw new Error('no loan item');
    await putItems(dynamo.db, TABLE, [{ ...loan, checkedOutAt: 'yesterday, Ada Lovelace' }]);
    const e = await refusal(new LibraryRecords(dynamo.db, TABLE).allRecords(String(loan.patronId), 'LOAN'));
    expect(e.message).toContain('loan');
    expect(e.message).toContain('checkedOutAt');
    expect(e.message).not.toContain('Lovelace');
  });
});
