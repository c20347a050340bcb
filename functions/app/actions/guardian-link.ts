import { requesterPatronIdOf } from '../../domain/request.ts';
import { InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { RELATIONSHIP_DOCUMENTS } from '../../domain/identity-documents.ts';
import { guardianLinkPage } from '../../render/consent-pages.ts';
import type { LinkAction } from './link-action.ts';
import { recordStaffRead } from './staff-read.ts';

/** R11, R4: desk staff record a guardian's link to a child's card after seeing documents they do not keep. */
export const guardianLink: LinkAction = {
  async show({ deps, token, request }) {
    const [guardian, child] = await Promise.all([
      requesterPatronIdOf(request) ? deps.people.getPatron(requesterPatronIdOf(request) ?? '') : undefined,
      request.patronId ? deps.people.getPatron(request.patronId) : undefined,
    ]);
    if (!guardian || !child) throw new NotFoundError('no patron');
    // R1: the desk sees both people's details; the read is on the record.
    await recordStaffRead(deps, token, 'guardian-link', ['name', 'cardNumber', 'dateOfBirth']);
    return {
      title: 'Record a guardian’s link to a card',
      form: {
        question: 'Is this adult the child’s parent or guardian?',
        details: guardianLinkPage({ request, guardian, child }),
        buttons: [{ decision: 'done', label: 'Record the link', primary: true }],
      },
    };
  },
  thanks: {
    done: 'The link is recorded. The parent or guardian is told by email that they can make a new request.',
  },
  check(input) {
    if (!(input.documentKind && Object.hasOwn(RELATIONSHIP_DOCUMENTS, input.documentKind)))
      throw new InvalidInputError('choose the document you saw', [{ path: 'documentKind', message: 'required' }]);
  },
  // R11: the link is recorded after the request that revealed it was denied: its task outlives the request.
  outlivesRequest: true,
  async record({ deps, token, input }) {
    const check = {
      byStaffId: token.recipient.id,
      role: token.recipient.role ?? 'circulation',
      documentKind: input.documentKind ?? '',
      at: deps.clock().toISOString(),
    };
    // R4: who looked, when, and what kind of document; never the document or its number.
    await deps.requests.update(token.requestId, (r) =>
      r.kind !== 'guardian-access' || r.guardianLinkCheck ? undefined : { ...r, guardianLinkCheck: check },
    );
    await deps.audit.append(token.requestId, {
      eventId: `guardian-relationship-checked:${token.step}`,
      type: 'guardian-relationship-checked',
      actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
      data: { documentKind: check.documentKind },
    });
  },
};
