import { describe, expect, it } from 'vitest';
import type { DeletionReport } from '../../functions/domain/deletion-outcome.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { POINT_IN_TIME_RECOVERY_DAYS } from '../../functions/domain/retention.ts';
import { deletionOutcomeEmail, deletionWaitingEmail } from '../../functions/render/deletion-letters.ts';

/** R8, R18: what the deletion letters promise about backups. */
const report = (until?: string): DeletionReport => ({
  outcome: {
    erased: ['personal'],
    anonymised: ['library-records'],
    retained: [{ category: 'payments', reason: 'retention-period', ...(until ? { until } : {}) }],
  },
  systems: [{ systemId: 'records', name: 'Records', result: 'done', pendingCleanup: false, reasons: [] }],
  outreachStopped: true,
  waiting: false,
});

describe('deletion letters (R8, R18)', () => {
  it.each([
    ['outcome', deletionOutcomeEmail],
    ['waiting', deletionWaitingEmail],
  ] as const)(
    'R8, R18: the %s letter says backups keep removed data for the configured recovery window',
    (_, letter) => {
      const m = letter({ library: 'L', report: report('2031-05-01'), policy: defaultPolicy });
      // The figure the stack configures point-in-time recovery with (test/infra/stack.test.ts checks that side).
      const windows = [...m.text.matchAll(/(\d+) days/g)].map((x) => Number(x[1]));
      expect(m.text).toMatch(/backups?/i);
      expect(windows).toContain(POINT_IN_TIME_RECOVERY_DAYS);
      expect(m.html).toMatch(new RegExp(`${POINT_IN_TIME_RECOVERY_DAYS} days`));
    },
  );
});
