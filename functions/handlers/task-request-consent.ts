import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { isTerminal } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { consentCategories } from '../render/consent-pages.ts';
import { guardianConsentEmail, inPersonConsentEmail, thirdPartyConsentEmail } from '../render/consent-emails.ts';
import { readableMoment } from '../render/readable-time.ts';
import { sendStaffTasks } from '../app/staff-tasks.ts';

const input = z.strictObject({
  requestId: z.uuid(),
  taskToken: z.string().min(1).max(4096),
});

/**
 * The reusable consent step (R10, R14): starts it and returns; the workflow waits for the callback.
 * The data subject (the child of a guardian request, the patron of a third-party request) is
 * asked through their own email on file, never through the guardian or the third party; with no
 * email on file, desk staff get an in-person consent task and record the answer, named.
 * The link expires after the policy's `consent.linkTtlHours`; the deadline sweep then fails the
 * step with LinkExpired, which the workflow treats as "no".
 *
 * A third-party request whose card and name matched no patron waits here exactly like a patron
 * who never answers: a link is made and its secret thrown away, so the same deadline passes and
 * the same denial follows. Nothing tells the requester who is a patron (CONTRACT.md).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-consent', input, async ({ requestId, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (isTerminal(request.status)) return { requested: false };
    const ttlSeconds = Math.round(deps.policy.consent.linkTtlHours * 3600);
    const common = {
      purpose: 'consent' as const,
      requestId,
      step: 'consent',
      ttlSeconds,
      maxAttempts: deps.policy.verification.maxAttempts,
      taskToken,
    };
    let channel: 'email' | 'in-person' | 'none';
    // First, and the same for every channel, matched or not: outside, a consent step looks like any other.
    await deps.requests.update(requestId, (r) =>
      isTerminal(r.status) || r.status === 'awaiting-consent' ? undefined : { ...r, status: 'awaiting-consent' },
    );

    if (!request.patronId) {
      if (request.kind !== 'third-party') throw new IntegrityError('consent needs a matched patron');
      // No leak: a link nobody holds (only its hash is stored), offering no decision, expiring like a real one.
      await deps.tokens.issue({ ...common, recipient: { kind: 'patron', id: 'unmatched' }, decisions: [] });
      channel = 'none';
    } else {
      const patron = await deps.records.getPatron(request.patronId);
      if (!patron) throw new IntegrityError('the matched patron is gone');
      const library = await deps.records.library();
      const titles = consentCategories(request, deps.policy).map((c) => deps.policy.categories[c].title);
      if (patron.email) {
        const { secret, token } = await deps.tokens.issue({
          ...common,
          recipient: { kind: 'patron', id: patron.id },
          decisions: ['consent', 'decline'],
        });
        const link = `${deps.baseUrl}/act/${secret}`;
        const tp = request.kind === 'third-party' ? request.thirdParty : undefined;
        const message =
          request.kind === 'third-party'
            ? thirdPartyConsentEmail({
                library: library.name,
                link,
                expiresAt: readableMoment(token.expiresAt, library.timezone),
                requester: { name: tp?.name ?? '', ...(tp?.organization ? { organization: tp.organization } : {}) },
                purpose: tp?.purpose ?? '',
                categories: titles,
              })
            : guardianConsentEmail({
                library: library.name,
                link,
                expiresAt: readableMoment(token.expiresAt, library.timezone),
                categories: titles,
              });
        await deps.mailer.send({ to: [patron.email], ...message });
        channel = 'email';
      } else {
        const staff = await deps.records.staffWithRole('circulation');
        if (staff.length === 0) throw new IntegrityError('no circulation staff to ask in person');
        await sendStaffTasks(deps, {
          requestId,
          role: 'circulation',
          staff,
          token: { ...common, decisions: ['consent', 'decline'] },
          email: (t) => inPersonConsentEmail({ ...t, requestId, guardian: request.kind === 'guardian-access' }),
        });
        channel = 'in-person';
      }
    }
    await deps.audit.append(requestId, {
      eventId: 'consent-requested',
      type: 'consent-requested',
      actor: { kind: 'system' },
      data: { channel },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
