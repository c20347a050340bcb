/**
 * The chaos run at full size (issue 14; ARCHITECTURE.md, Faults; R5, R17):
 *
 *   npm run chaos                                   200 requests, 20% faults, three restarts
 *   npm run chaos -- --requests 40 --faults 0.2 --restarts 1 --seed 14
 *
 * Prints the table: requests, completed, duplicates, lost, chain failures, PII hits, restarts,
 * injected faults; then what any non-zero count is made of (ids and kinds only). Exit code 1 when
 * a request did not complete or anything was doubled, broken or leaked.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runChaos } from '../test/chaos/run-chaos.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    faults: { type: 'string', default: '0.2' },
    restarts: { type: 'string', default: '3' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    'timeout-minutes': { type: 'string', default: '30' },
  },
});
const opts = z
  .object({
    requests: z.coerce.number().int().min(1).max(5000),
    faults: z.coerce.number().min(0).max(1),
    restarts: z.coerce.number().int().min(0).max(20),
    seed: z.coerce.number().int(),
    'timeout-minutes': z.coerce.number().positive(),
  })
  .parse(values);

const started = Date.now();
const report = await runChaos({
  requests: opts.requests,
  faultRate: opts.faults,
  restarts: opts.restarts,
  seed: opts.seed,
  timeoutMs: opts['timeout-minutes'] * 60_000,
  // The run keeps the handlers' own log lines for its R5 scan; progress goes straight to the terminal.
  progress: (
    (write) => (line: string) =>
      write(`${line}\n`)
  )(process.stderr.write.bind(process.stderr)),
});
const rows: [string, number | string][] = [
  ['requests', report.requests],
  ['completed', report.completed],
  ['duplicates', report.duplicates],
  ['lost', report.lost],
  ['chain failures', report.chainFailures],
  ['PII hits', report.piiHits],
  ['restarts', report.restarts],
  ['injected faults', report.injectedFaults],
];
console.log(
  `\nchaos run: seed ${opts.seed}, fault rate ${opts.faults}, ${Math.round((Date.now() - started) / 1000)} s\n`,
);
console.log('| measure | count |\n|---|---|');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
console.log('\nfaults by service and kind:', JSON.stringify(report.details.faults));
console.log(
  'submissions tried again:',
  report.details.submitRetries,
  '; link pages tried again:',
  report.details.linkRetries,
);
const {
  faults: _f,
  submitRetries: _s,
  quietRepeats,
  submitConflicts,
  linkRetries: _l,
  scanned,
  ...problems
} = report.details;
console.log('submissions answered 409 and tried again:', submitConflicts);
console.log('submissions closed quietly as repeats of the one that went through (R7):', quietRepeats);
console.log('R5 scan read:', scanned.logs, 'characters of logs,', scanned.executions, 'of execution histories');
for (const [what, list] of Object.entries(problems))
  if (list.length > 0) console.log(`${what}:`, JSON.stringify(list.slice(0, 20)));
const clean =
  report.completed === report.requests &&
  report.duplicates === 0 &&
  report.chainFailures === 0 &&
  report.piiHits === 0 &&
  report.details.stillRunning.length === 0;
process.exit(clean ? 0 : 1);
