import type { Policy } from '../../functions/domain/policy.ts';
import { renderAccessReport } from '../../functions/render/report.ts';

type ReportInput = Parameters<typeof renderAccessReport>[0];

/**
 * The access report of a patron with no records, under `policy` (and, when given, the systems file):
 * only what the library states in it matters to the tests that read its statements back (R18).
 */
export const emptyPatronReport = (o: {
  library: string;
  timezone: string;
  at: number;
  policy: Policy;
  retentionSystems?: ReportInput['retentionSystems'];
}): ReturnType<typeof renderAccessReport> =>
  renderAccessReport({
    library: { name: o.library, timezone: o.timezone },
    generatedAt: new Date(o.at).toISOString(),
    requestId: 'req-statements',
    policy: o.policy,
    ...(o.retentionSystems ? { retentionSystems: o.retentionSystems } : {}),
    patron: {
      id: 'X-REPORT',
      cardNumber: '21234000888888',
      firstName: 'Rita',
      lastName: 'Report',
      dateOfBirth: '1980-01-01',
      guarantorIds: [],
      securityQuestions: [],
      paymentMethods: [],
      linkedAccounts: [],
    },
    verification: { method: 'email-link', verifiedAt: new Date(o.at).toISOString() },
    loans: [],
    holds: [],
    fines: [],
    programs: [],
    donations: [],
    sharedContent: [],
  });
