import { requesterPatronIdOf } from '../../domain/request.ts';
import { InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { DOCUMENT_KINDS } from '../../domain/identity-documents.ts';
import { inPersonVerificationDetails } from '../../render/link-pages.ts';
import type { LinkAction } from './link-action.ts';
import { recordStaffRead } from './staff-read.ts';
import { recordVerification } from './verification.ts';

/** Desk staff verify a patron who has no email on file, and record how (the kind of document, never the document). */
export const verifyInPerson: LinkAction = {
  async show({ deps, token, request }) {
    // A guardian is verified as themselves, never as the child (R11).
    const verifiedId = requesterPatronIdOf(request) ?? request.patronId;
    const patron = verifiedId ? await deps.people.getPatron(verifiedId) : undefined;
    if (!patron) throw new NotFoundError('no patron');
    // R1: a staff member is about to see a patron's details; the read is on the record.
    await recordStaffRead(deps, token, 'in-person-verification', ['name', 'cardNumber']);
    return {
      title: 'Verify a patron in person',
      form: {
        question: `Verify the identity of ${patron.firstName} ${patron.lastName}`,
        details: inPersonVerificationDetails(request, patron),
        buttons: [{ decision: 'done', label: 'Identity verified', primary: true }],
      },
    };
  },
  thanks: { default: 'The patron is verified. Their request continues.' },
  check(input) {
    if (!(input.documentKind && Object.hasOwn(DOCUMENT_KINDS, input.documentKind)))
      throw new InvalidInputError('choose how you verified the patron', [
        { path: 'documentKind', message: 'required' },
      ]);
  },
  record: ({ deps, token, input }) =>
    recordVerification(deps, token, {
      method: 'in-person',
      verifiedAt: deps.clock().toISOString(),
      verifiedByRole: token.recipient.role ?? 'circulation',
      verifiedByStaffId: token.recipient.id,
      ...(input.documentKind ? { documentKind: input.documentKind } : {}),
    }),
};
