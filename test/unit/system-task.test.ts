import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { publicView, type PublicViewSource } from '../../functions/domain/request.ts';
import {
  answeredByStaff,
  checkCouldNotReason,
  REASON_MAX,
  systemIdOfStep,
  systemTaskStep,
  taskRole,
} from '../../functions/domain/system-task.ts';

describe('R19 manual system tasks (domain)', () => {
  it('R19: a could-not reason is required, at most REASON_MAX characters, and plain text', () => {
    expect(checkCouldNotReason('  The vendor portal is down  ')).toBe('The vendor portal is down');
    expect(checkCouldNotReason('Line one\nline two\ttabbed')).toBe('Line one\nline two\ttabbed');
    expect(checkCouldNotReason('é'.repeat(REASON_MAX))).toHaveLength(REASON_MAX);
    for (const bad of [
      undefined,
      '',
      '   \n ',
      'x'.repeat(REASON_MAX + 1),
      'bell\u0007',
      'nul\u0000',
      'c1\u0085',
      'a\u202egnp.exe',
      'iso\u2066late',
    ])
      expect(() => checkCouldNotReason(bad), JSON.stringify(bad)).toThrow(InvalidInputError);
  });

  it('R19: a task step names its system, and only a well-formed one', () => {
    expect(systemIdOfStep(systemTaskStep('ebooks'))).toBe('ebooks');
    for (const step of ['approve', 'system:', 'system:Ebooks', 'system:ebooks:1', 'xsystem:ebooks'])
      expect(systemIdOfStep(step)).toBeUndefined();
    expect(answeredByStaff('desk@library.example', 'circulation')).toBe('desk@library.example (circulation)');
  });

  it("R19 R13a: a court order's task goes only to a role that handles court orders", () => {
    expect(taskRole('circulation', 'court-order')).toBe('privacy-officer');
    expect(taskRole('director', 'court-order')).toBe('director');
    expect(taskRole('circulation', 'access')).toBe('circulation');
  });

  it('R19 R13a: the public view lists the systems only while the request waits, never for a court order', () => {
    const base: PublicViewSource = {
      requestId: 'r',
      kind: 'access',
      status: 'waiting',
      createdAt: '2026-01-01T00:00:00.000Z',
      dueAt: '2026-01-31T00:00:00.000Z',
    };
    const systems = [{ system: 'E-books', result: 'waiting' as const }];
    const now = new Date('2026-01-02T00:00:00.000Z');
    expect(publicView(base, now, systems).systems).toEqual(systems);
    expect(publicView({ ...base, status: 'in-progress' }, now, systems)).not.toHaveProperty('systems');
    expect(publicView({ ...base, kind: 'court-order' }, now, systems)).not.toHaveProperty('systems');
    expect(publicView(base, now)).not.toHaveProperty('systems');
  });
});
