import { NotFoundError } from '../../domain/errors.ts';
import { resumeClock, type Consent } from '../../domain/request.ts';
import { consentCategories, consentPage } from '../../render/consent-pages.ts';
import type { LinkAction } from './link-action.ts';
import { recordStaffRead } from './staff-read.ts';

/** R10, R14: the data subject consents or declines, through their own email or recorded in person by desk staff. */
export const consent: LinkAction = {
  async show({ deps, token, request }) {
    // R10, R14: the subject answers through their own email, or desk staff record it in person.
    const inPerson = token.recipient.kind === 'staff';
    const subject = inPerson && request.patronId ? await deps.people.getPatron(request.patronId) : undefined;
    if (inPerson && !subject) throw new NotFoundError('no patron');
    if (subject) {
      // R1: a staff member is about to see a patron's details; the read is on the record.
      await recordStaffRead(deps, token, 'in-person-consent', ['name', 'cardNumber']);
    }
    // R10: the consent names the guardian who asked, as on file.
    const guardian =
      request.kind === 'guardian-access' && request.requesterPatronId
        ? await deps.people.getPatron(request.requesterPatronId)
        : undefined;
    return {
      title: request.kind === 'third-party' ? 'Written permission asked' : 'Your consent is asked',
      form: consentPage({
        request,
        policy: deps.policy,
        ...(subject ? { subject } : {}),
        ...(guardian ? { guardian } : {}),
        forChild: request.kind === 'third-party' && request.thirdParty?.permissionBy === 'guardian',
      }),
    };
  },
  thanks: {
    consent: 'Thank you. The answer “yes” is recorded. Library staff review the request before anything is shared.',
    decline: 'Thank you. The answer “no” is recorded: nothing will be shared.',
  },
  async record({ deps, token, request, input }) {
    const staff = token.recipient.kind === 'staff';
    const at = deps.clock().toISOString();
    const answer: Consent = {
      decision: input.decision === 'consent' ? 'consent' : 'decline',
      at,
      channel: staff ? 'in-person' : 'email',
      // R18: the version the consent page named (the same configuration rendered it).
      policyVersion: deps.policy.version,
      ...(staff
        ? { recordedByStaffId: token.recipient.id, recordedByRole: token.recipient.role ?? 'circulation' }
        : {}),
    };
    // R14: what was shown is what was permitted; any reason typed into the form is never kept (R10).
    await deps.requests.update(token.requestId, (r) =>
      (r.kind !== 'guardian-access' && r.kind !== 'third-party') || r.consent
        ? undefined
        : {
            // R15: the answer restarts the clock; the time it waited is added to the due date.
            ...resumeClock(r, deps.clock()),
            consent:
              answer.decision === 'consent' ? { ...answer, categories: consentCategories(r, deps.policy) } : answer,
          },
    );
    await deps.audit.append(token.requestId, {
      eventId: `consent:${token.step}`,
      type: answer.decision === 'consent' ? 'consent-given' : 'consent-declined',
      actor: staff ? { kind: 'staff', id: token.recipient.id, role: token.recipient.role } : { kind: 'patron' },
      data: {
        channel: answer.channel,
        // R14: a guardian gave a young child's written permission.
        ...(request.kind === 'third-party' && request.thirdParty?.permissionBy === 'guardian'
          ? { by: 'guardian' }
          : {}),
        policyVersion: deps.policy.version,
        ...(answer.decision === 'consent' ? { categories: consentCategories(request, deps.policy) } : {}),
      },
    });
  },
};
