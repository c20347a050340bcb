import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * R5 behind the code: nothing we write logs personal data, but an SDK or runtime message can quote
 * an address, and a mistake can slip through review. CloudWatch Logs masks these on every log group
 * of the stack (reading unmasked needs `logs:Unmask`, which no role here has). The library card is
 * the common 14-digit barcode (Codabar); names and street addresses are left to the managed
 * identifiers, which match them only with context, so they are named too.
 */
export const LIBRARY_CARD_PATTERN = '\\b[0-9]{14}\\b';

export const logDataProtection = (): logs.DataProtectionPolicy =>
  new logs.DataProtectionPolicy({
    name: 'privacy-desk-personal-data',
    description: 'Masks personal data that reaches a log by mistake (POLICY R5)',
    identifiers: [
      logs.DataIdentifier.EMAILADDRESS,
      logs.DataIdentifier.PHONENUMBER_US,
      logs.DataIdentifier.ADDRESS,
      logs.DataIdentifier.NAME,
      logs.DataIdentifier.CREDITCARDNUMBER,
      logs.DataIdentifier.IPADDRESS,
      new logs.CustomDataIdentifier('LibraryCardNumber', LIBRARY_CARD_PATTERN),
    ],
  });
