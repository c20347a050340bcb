/**
 * `npm run koha`: the project's Koha simulator (test/support/koha-simulator: every request and
 * answer checked against Koha's spec) on a fixed port, holding the demo dataset's patrons, so that
 * `DSR_SYSTEMS=local/koha-demo-systems.json npm start` reaches a Koha by hand (issue #11, R19).
 *
 *   KOHA_PORT=8081 KOHA_USER=privacydesk KOHA_PASSWORD=demo DSR_DATASET=local/demo-dataset.json
 *
 * Each patron of the dataset is created with the same card number, names, email, phone, date of
 * birth and address; their loans (current and returned), holds and fines become Koha checkouts,
 * holds and account lines; guardians become guarantors. A deletion of a patron with an item on
 * loan is refused by Koha (`has_checkouts`) until staff return it, which a person does by hand here:
 *
 *   POST /_sim/return/{checkout_id}   the item comes back          (or type: return <checkout_id>)
 *   POST /_sim/pay/{patron_id}        the patron pays what is owed (or type: pay <patron_id>)
 *   POST /_sim/cleanup                Koha's cleanup job purges deleted patrons (or type: cleanup)
 *   GET  /_sim/                       what the simulator holds now (or type: status)
 *
 * These routes are this script's, in front of the simulator: they are not Koha's API.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readDatasetFile } from '../functions/connectors/records-table/load-dataset.ts';
import type { Dataset } from '../functions/domain/dataset.ts';
import { kohaSpecAvailable, startKohaSimulator, type KohaData } from '../test/support/koha-simulator/index.ts';

const env = z
  .object({
    KOHA_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
    KOHA_USER: z.string().min(1).default('privacydesk'),
    KOHA_PASSWORD: z.string().min(1).default('demo'),
    DSR_DATASET: z
      .string()
      .min(1)
      .default(fileURLToPath(new URL('../local/demo-dataset.json', import.meta.url))),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(2);
}
const cfg = env.data;
if (!kohaSpecAvailable()) process.exit(1);

/** The dataset's library as Koha would hold it; returns the current checkouts a deletion waits on. */
function seed(
  data: KohaData,
  dataset: Dataset,
): { card: string; name: string; patronId: number; checkouts: number[] }[] {
  const kohaId = new Map<string, number>();
  for (const p of dataset.patrons) {
    kohaId.set(
      p.id,
      data.addPatron({
        cardnumber: p.cardNumber,
        surname: p.lastName,
        firstname: p.firstName,
        email: p.email ?? null,
        phone: p.phone ?? null,
        date_of_birth: p.dateOfBirth,
        userid: p.username ?? null,
        ...(p.address
          ? {
              address: p.address.street,
              city: p.address.city,
              state: p.address.state,
              postal_code: p.address.postalCode,
            }
          : {}),
        ...(p.enrolledOn ? { date_enrolled: p.enrolledOn } : {}),
        ...(p.expiresOn ? { expiry_date: p.expiresOn } : {}),
      }),
    );
  }
  const of = (patronId: string) => kohaId.get(patronId) as number;
  const onLoan = new Map<number, number[]>();
  for (const loan of dataset.loans) {
    if (loan.returnedAt !== null) data.addReturnedCheckouts(of(loan.patronId), 1);
    else onLoan.set(of(loan.patronId), [...(onLoan.get(of(loan.patronId)) ?? []), data.addCheckout(of(loan.patronId))]);
  }
  for (const hold of dataset.holds)
    if (hold.status === 'waiting' || hold.status === 'ready') data.addHold(of(hold.patronId));
  for (const fine of dataset.fines) data.addDebit(of(fine.patronId), fine.amount, fine.outstanding);
  for (const p of dataset.patrons)
    for (const guardian of p.guarantorIds ?? []) data.addGuarantee(of(guardian), of(p.id));
  return dataset.patrons
    .filter((p) => onLoan.has(of(p.id)))
    .map((p) => ({
      card: p.cardNumber,
      name: `${p.firstName} ${p.lastName}`,
      patronId: of(p.id),
      checkouts: onLoan.get(of(p.id)) ?? [],
    }));
}

const dataset = await readDatasetFile(resolve(cfg.DSR_DATASET));
const sim = await startKohaSimulator({ basicUsers: [{ user: cfg.KOHA_USER, password: cfg.KOHA_PASSWORD }] });
const onLoan = seed(sim.data, dataset);
const inner = new URL(sim.baseUrl);

/** What a person can do by hand, as a staff member at Koha's desk would. */
function act(command: string, arg: string | undefined): { status: number; body: unknown } {
  const id = Number(arg);
  try {
    switch (command) {
      case 'return':
        sim.data.returnItem(id);
        return { status: 200, body: { returned: id } };
      case 'pay':
        if (!sim.data.patrons.has(id)) return { status: 404, body: { error: `no patron ${arg ?? ''}` } };
        sim.data.payAll(id);
        return { status: 200, body: { paid: id } };
      case 'cleanup':
        sim.data.runCleanup();
        return { status: 200, body: { cleanup: 'deleted patrons purged' } };
      case 'status':
        return { status: 200, body: status() };
      default:
        return { status: 404, body: { error: 'commands: return <checkout_id>, pay <patron_id>, cleanup, status' } };
    }
  } catch (e) {
    return { status: 404, body: { error: e instanceof Error ? e.message : String(e) } };
  }
}

function status() {
  return {
    patrons: [...sim.data.patrons.values()].map((p) => ({
      patron_id: p.patron_id,
      cardnumber: p.cardnumber,
      surname: p.surname,
      checkouts: (sim.data.current.get(p.patron_id) ?? []).map((c) => c.checkout_id),
      owed: sim.data.owed(p.patron_id),
      holds: (sim.data.holds.get(p.patron_id) ?? []).length,
      blocked: sim.data.refusal(p.patron_id)?.error_code ?? null,
    })),
    deletedPatrons: [...sim.data.deletedPatrons.keys()],
    specViolations: sim.violations,
  };
}

let reported = 0;
/** A departure from Koha's spec, on either side, is said at once (the tests fail on it). */
function reportViolations(): void {
  for (; reported < sim.violations.length; reported++) console.warn(`spec violation: ${sim.violations[reported]}`);
}

const front = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/_sim' || path.startsWith('/_sim/')) {
    const [command = 'status', arg] = path.split('/').slice(2).filter(Boolean);
    const answer = req.method === 'GET' ? act('status', undefined) : act(command, arg);
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(answer.body, null, 2)}\n`);
    if (req.method !== 'GET') console.log(`${command}${arg ? ` ${arg}` : ''}: ${JSON.stringify(answer.body)}`);
    return;
  }
  // Everything else is Koha's API: passed to the simulator as it came (Host included, for its Link headers).
  const upstream = request(
    { host: inner.hostname, port: inner.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', reportViolations);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
await new Promise<void>((done, fail) => {
  front.once('error', fail);
  front.listen(cfg.KOHA_PORT, '127.0.0.1', done);
});

const base = `http://127.0.0.1:${cfg.KOHA_PORT}`;

/** How to see a deletion refused and then cleared, on the first patron with an item on loan. */
function blockerHint(): string {
  const example = onLoan[0];
  if (!example) return '';
  const checkout = example.checkouts[0];
  const lines = [
    `${example.name} (card ${example.card}) has an item on loan: Koha refuses to delete the patron`,
    `(has_checkouts) until it is returned. To return it by hand:`,
    `  curl -X POST ${base}/_sim/return/${checkout}      or type here: return ${checkout}`,
  ];
  if (sim.data.owed(example.patronId) > 0)
    lines.push(
      'Koha then waits for what the patron owes (has_debt). To pay it:',
      `  curl -X POST ${base}/_sim/pay/${example.patronId}      or type here: pay ${example.patronId}`,
    );
  return `\n${lines.join('\n')}\n`;
}

console.log(`
Koha simulator (Koha's REST API, every request and answer checked against its spec) is running.

  Base URL     ${base}${inner.pathname}
  Basic auth   KOHA_USER=${cfg.KOHA_USER} KOHA_PASSWORD=${cfg.KOHA_PASSWORD}
  Patrons      ${sim.data.patrons.size}, from ${cfg.DSR_DATASET}
  What it holds now: ${base}/_sim/

In another terminal (local/koha-demo-systems.json expects port 8081):
  KOHA_USER=${cfg.KOHA_USER} KOHA_PASSWORD=${cfg.KOHA_PASSWORD} DSR_SYSTEMS=local/koha-demo-systems.json npm start
${blockerHint()}
Commands here: return <checkout_id>, pay <patron_id>, cleanup, status. Ctrl+C stops (nothing is kept).
`);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  if (!command) return;
  console.log(JSON.stringify(act(command, arg).body, null, 2));
});

const stop = async () => {
  lines.close();
  front.closeAllConnections();
  await new Promise<void>((done) => front.close(() => done()));
  await sim.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
