import { expect } from 'vitest';
import { BLOCKER_REASONS } from '../../functions/domain/deletion-outcome.ts';
import type { DeletionOutcome } from '../../functions/domain/request.ts';
import { CATEGORY_WORDS, OUTREACH_STOPPED, REASON_WORDS } from '../../functions/render/deletion-letters.ts';
import type { SentEmail, TestRuntime } from '../support/runtime.ts';

/**
 * R8, R19, R20: a deletion letter read back against what the code did: every statement in it must
 * follow from the stored per-system results (and the audit trail), never from a copy of its text.
 */

const section = (text: string, heading: string): string[] => {
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) return [];
  const lines = text.slice(start + heading.length + 1).split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('- ')) break;
    out.push(line.slice(2));
  }
  return out.filter((l) => l !== 'nothing');
};

export async function expectLetterFollowsResults(rt: TestRuntime, requestId: string, letter: SentEmail): Promise<void> {
  const text = letter.body.text ?? '';
  const results = await rt.deps.systemResults.list(requestId);
  const events = await rt.deps.audit.list(requestId);
  const reached = rt.deps.systems.systems.filter((s) => results.some((r) => r.systemId === s.id));
  expect(results.length).toBeGreaterThan(0);

  // System by system: one line each, saying what its stored result says.
  const lines = section(text, 'System by system:');
  expect(lines).toHaveLength(results.length);
  for (const result of results) {
    const system = reached.find((s) => s.id === result.systemId);
    const line = lines.find((l) => l.startsWith(`${system?.name}: `)) ?? '';
    expect(line, `a line for ${result.systemId}`).not.toBe('');
    switch (result.state) {
      case 'done':
        expect(line).toMatch(/: done\./);
        // R8: a copy kept until a cleanup job runs is said, and only then.
        expect(line.includes('cleanup job')).toBe(result.pendingCleanup === true);
        break;
      case 'not-held':
        expect(line).toContain('held nothing about you');
        break;
      case 'blocked':
        expect(line).toContain('waiting, because');
        for (const b of result.blockers ?? []) expect(line).toContain(REASON_WORDS[BLOCKER_REASONS[b.kind]]);
        break;
      case 'unreachable':
        expect(line).toContain('waiting, because');
        expect(line).toContain(REASON_WORDS['system-unavailable']);
        break;
      default:
        expect(line).not.toMatch(/: done\./);
    }
  }

  // Removed: only what every system holding it removed, with no copy left for a cleanup job.
  // The records table erases what may go while a blocker keeps the person: the plan it carried
  // out is stored on the request, and under a hold nothing is touched (R13).
  const request = await rt.deps.requests.getOf(requestId, 'deletion');
  const erasedWhileBlocked = (category: string, r: (typeof results)[number]) =>
    r.state === 'blocked' &&
    !(r.blockers ?? []).some((b) => b.kind === 'hold') &&
    (request.plan?.steps ?? []).some(
      (s) => s.category === category && (s.action === 'erase' || s.action === 'delete') && s.count > 0,
    );
  const removed = section(text, 'Removed:');
  for (const [category, words] of Object.entries(CATEGORY_WORDS)) {
    if (!removed.includes(words)) continue;
    for (const system of reached.filter((s) => (s.categories as string[]).includes(category))) {
      const r = results.find((x) => x.systemId === system.id);
      if (r && system.type === 'records-table' && erasedWhileBlocked(category, r)) continue;
      expect(['done', 'not-held'], `${category} removed, yet ${system.id} is ${r?.state}`).toContain(r?.state);
      expect(r?.pendingCleanup ?? false, `${category} removed, yet ${system.id} keeps a copy`).toBe(false);
      expect(r?.retained?.some((k) => k.category === category) ?? false).toBe(false);
    }
  }

  // R20: outreach is said to have stopped only where every outreach system did it.
  const outreach = reached.filter((s) => s.outreach);
  const stopped =
    outreach.length > 0 &&
    outreach.every((s) => {
      const r = results.find((x) => x.systemId === s.id);
      return (
        r?.state === 'done' ||
        r?.state === 'not-held' ||
        events.some((e) => e.type === 'outreach-stopped' && e.data?.system === s.id)
      );
    });
  expect(text.includes(OUTREACH_STOPPED), 'the outreach sentence').toBe(stopped);

  // The status page and the letter say the same (CONTRACT.md: the stored outcome).
  const outcome = (await rt.deps.requests.getOf(requestId, 'deletion')).outcome as DeletionOutcome;
  expect(removed.sort()).toEqual(outcome.erased.map((c) => CATEGORY_WORDS[c]).sort());
}
