import * as z from '../domain/zod.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { guardianLinkedEmail } from '../render/consent-emails.ts';
import { sendOnce } from '../app/send-once.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/**
 * R11: writes the guardian's link to the child's card that desk staff recorded after seeing a
 * document (R4: only who, when and what kind is kept), and tells the guardian they can ask again.
 * Idempotent: a retry finds the audit event and stops.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'record-guardian-link', input, async ({ requestId }) => {
    const events = await deps.audit.list(requestId);
    if (events.some((e) => e.eventId === 'guardian-linked')) return { linked: true };
    const request = await deps.requests.getOf(requestId, 'guardian-access');
    const check = request.guardianLinkCheck;
    if (!request.patronId || !request.requesterPatronId || !check)
      throw new IntegrityError('no checked guardian link to record');
    await deps.records.addGuarantor(request.patronId, request.requesterPatronId);
    const guardian = await deps.people.getPatron(request.requesterPatronId);
    if (guardian?.email) {
      const library = await deps.records.library();
      // Faults: a retry after this email and before its event sends nothing again.
      await sendOnce(
        deps,
        { requestId, purpose: 'guardian-linked' },
        {
          to: [guardian.email],
          ...guardianLinkedEmail({ library: library.name, formUrl: `${deps.baseUrl}/guardian.html` }),
        },
      );
    }
    await deps.audit.append(requestId, {
      eventId: 'guardian-linked',
      type: 'guardian-linked',
      actor: { kind: 'staff', id: check.byStaffId, role: check.role },
      data: {
        patronId: request.patronId,
        requesterPatronId: request.requesterPatronId,
        documentKind: check.documentKind,
        checkedAt: check.at,
        told: guardian?.email ? 'email' : 'none',
      },
    });
    return { linked: true };
  });

export const handler = lambdaEntry(createHandler);
