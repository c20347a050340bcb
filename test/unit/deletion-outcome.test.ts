import { describe, expect, it } from 'vitest';
import { deletionReport, type ReportInput } from '../../functions/domain/deletion-outcome.ts';
import { HELD_REASON } from '../../functions/domain/deletion-plan.ts';
import type { SystemResult } from '../../functions/domain/system-result.ts';
import { parseSystemsFile } from '../../functions/domain/systems.ts';

/** R8, R13a, R19, R20: what a deletion says, from the per-system results alone (domain/deletion-outcome.ts). */
const FILE = parseSystemsFile({
  systems: [
    { id: 'records', type: 'records-table', name: 'Records', identity: true, categories: ['shared-content'] },
    {
      id: 'ils',
      type: 'koha',
      name: 'Koha',
      baseUrl: 'https://koha.example.org/api/v1',
      auth: { type: 'basic', userEnv: 'U', passwordEnv: 'P' },
      categories: ['personal', 'library-records'],
    },
    {
      id: 'news',
      type: 'manual',
      name: 'Newsletter',
      role: 'privacy-officer',
      outreach: true,
      categories: ['personal'],
      instructions: { deletion: 'Delete them.' },
    },
  ],
});
const config = (id: string) => FILE.systems.find((s) => s.id === id) as ReportInput['systems'][number]['config'];
const result = (systemId: string, r: Partial<SystemResult>): SystemResult => ({
  requestId: 'r',
  systemId,
  version: 1,
  state: 'done',
  updatedAt: '2026-01-01T00:00:00Z',
  ...r,
});
const report = (results: SystemResult[], outreachStoppedIn: string[] = []) =>
  deletionReport({ systems: results.map((r) => ({ config: config(r.systemId), result: r })), outreachStoppedIn });

describe('deletion outcome from per-system results', () => {
  it('R8 a category is erased only if every system holding it erased it', () => {
    const r = report([
      result('records', { state: 'done' }),
      result('ils', { state: 'blocked', blockers: [{ kind: 'on-loan', count: 1 }] }),
      result('news', { state: 'done' }),
    ]);
    expect(r.outcome.erased).toEqual(['shared-content']);
    expect(r.outcome.retained).toEqual([
      { category: 'personal', reason: 'items-on-loan' },
      { category: 'library-records', reason: 'items-on-loan' },
    ]);
    expect(r.waiting).toBe(true);
    expect(r.outcome.systems).toEqual([
      { system: 'Records', result: 'done' },
      { system: 'Koha', result: 'waiting' },
      { system: 'Newsletter', result: 'done' },
    ]);
  });

  it("R8 Koha's deletedborrowers copy (pendingCleanup) is never reported removed", () => {
    const r = report([
      result('records', { state: 'not-held' }),
      result('ils', { state: 'done', pendingCleanup: true }),
      result('news', { state: 'not-held' }),
    ]);
    expect(r.outcome.erased).toEqual([]);
    expect(r.outcome.anonymised).toEqual([]);
    expect(r.outcome.retained).toContainEqual({ category: 'personal', reason: 'pending-cleanup' });
    expect(r.systems.find((s) => s.systemId === 'ils')?.pendingCleanup).toBe(true);
  });

  it('R8 R19 an unreachable system erases nothing in the outcome and keeps the deletion waiting', () => {
    const r = report([
      result('records', { state: 'done' }),
      result('ils', { state: 'unreachable', reason: 'TransientError' }),
      result('news', { state: 'done' }),
    ]);
    expect(r.outcome.erased).not.toContain('personal');
    expect(r.outcome.retained).toContainEqual({ category: 'personal', reason: 'system-unavailable' });
    expect(r.waiting).toBe(true);
  });

  it('R13a a hold reads as a legal obligation, like any other reason, naming no order', () => {
    const r = report([result('ils', { state: 'blocked', blockers: [{ kind: 'hold' }] })]);
    expect(JSON.stringify(r)).not.toMatch(/hold|order|court/i);
    expect(r.outcome.retained).toContainEqual({ category: 'personal', reason: HELD_REASON });
  });

  it('R20 outreach has stopped only when every outreach system answered done', () => {
    const pending = report([result('news', { state: 'pending' })]);
    expect(pending.outreachStopped).toBe(false);
    expect(report([result('news', { state: 'could-not', reason: 'no access' })]).outreachStopped).toBe(false);
    expect(report([result('news', { state: 'done' })]).outreachStopped).toBe(true);
    expect(report([result('news', { state: 'blocked' })], ['news']).outreachStopped).toBe(true);
    // No outreach system reached: the letter claims nothing.
    expect(report([result('ils', { state: 'done' })]).outreachStopped).toBe(false);
  });

  it('R8 what was done stays done: an earlier report is never undone', () => {
    const r = deletionReport({
      systems: [{ config: config('records'), result: result('records', { state: 'done', counts: {} }) }],
      outreachStoppedIn: [],
      previous: { erased: ['credentials'], anonymised: [] },
    });
    expect(r.outcome.erased).toEqual(['credentials']);
  });
});
