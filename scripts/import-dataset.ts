/**
 * Loads a dataset file (CONTRACT.md, "The dataset file") into a deployed stage's records table.
 *
 *   FINGERPRINT_KEY_ID=<FingerprintKeyArn> \
 *   npx tsx scripts/import-dataset.ts <dataset.json> --table <RecordsTableName> --region <region> [--dry-run]
 *
 * The same validation and item layout as `npm start` (functions/connectors/records-table/load-dataset.ts): a file
 * that does not match is refused with the path of the first bad field, and nothing is written.
 * Items are written with BatchWrite (puts: loading again overwrites, it never duplicates). Uses the
 * AWS credentials of your shell (profile or environment); they need dynamodb:BatchWriteItem on the
 * table and kms:GenerateDataKey / kms:Decrypt on the stage's key through DynamoDB. Prints counts
 * only, never a record (R5).
 *
 * R8: a patron whose deletion completed is remembered by keyed fingerprints, and is skipped with
 * all their records. Computing those takes kms:GenerateMac on the stage's HMAC key (the stack's
 * `FingerprintKeyArn` output, given as FINGERPRINT_KEY_ID); a table that remembers erasures is
 * refused a load without it, rather than bringing erased people back.
 */
import { parseArgs } from 'node:util';
import { loadDataset, readDatasetFile } from '../functions/connectors/records-table/load-dataset.ts';
import { createDocumentClient } from '../functions/adapters/dynamodb/client.ts';
import { KmsFingerprinter } from '../functions/adapters/kms-fingerprinter.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { table: { type: 'string' }, region: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
});
const [file] = positionals;
if (!file || !values.table || !values.region) {
  console.error(
    'usage: npx tsx scripts/import-dataset.ts <dataset.json> --table <RecordsTableName> --region <region> [--dry-run]',
  );
  process.exit(2);
}

const dataset = await readDatasetFile(file);
const counts = {
  staff: dataset.staff.length,
  patrons: dataset.patrons.length,
  loans: dataset.loans.length,
  holds: dataset.holds.length,
  fines: dataset.fines.length,
  programs: dataset.programs.length,
  donations: dataset.donations.length,
  sharedContent: dataset.sharedContent.length,
};
console.log(
  `valid dataset: ${Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')}`,
);
if (values['dry-run']) process.exit(0);

const client = createDocumentClient({ region: values.region });
const keyId = process.env.FINGERPRINT_KEY_ID;
const fingerprinter = keyId ? new KmsFingerprinter(keyId, { region: values.region }) : undefined;
const { items, skipped, departed } = await loadDataset(dataset, { client, tableName: values.table, fingerprinter });
console.log(`wrote ${items} items to ${values.table}`);
// R12: the staff list is the dataset's; a decision from someone no longer in a role is refused at use (their Cognito group).
if (departed.length > 0) console.log(`removed ${departed.length} staff role entries the dataset no longer lists (R12)`);
if (skipped.patrons > 0)
  console.log(`skipped ${skipped.patrons} erased patrons and ${skipped.records} of their records (R8)`);
client.destroy();
