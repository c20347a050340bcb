import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { RECORDS_TABLE } from '../../local/runtime.ts';
import {
  ADA,
  DEMO_DATASET,
  linkIn,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';

/**
 * R8 through the local runtime as `npm start` runs it: a data folder that persists, a deletion
 * carried out by the deletion workflow (the records table's erasure in task-reach-system, with the runtime's fingerprinter),
 * then a restart after the dataset file changed, which loads it again.
 */
const OFFICER = 'privacy@library.example';
const YUKI = { id: 'P1007', cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };

const post = (link: string, form: Record<string, string>) =>
  fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

describe('R8: erased patrons stay erased when the runtime loads a changed dataset', () => {
  let dir: string;
  let datasetPath: string;
  let rt: TestRuntime | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'privacy-desk-erasure-memory-'));
    datasetPath = join(dir, 'dataset.json');
    await copyFile(DEMO_DATASET, datasetPath);
  });
  afterAll(async () => {
    await rt?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const start = () => startTestRuntime({ dataDir: join(dir, 'data'), datasetPath });

  it('R8: a completed deletion is remembered by fingerprints only, and a reload leaves the patron and her records out', async () => {
    rt = await start();
    const { body } = await submit(rt, { kind: 'deletion', cardNumber: YUKI.cardNumber, lastName: YUKI.lastName });
    const verify = await rt.mail.waitFor(YUKI.email, /confirm your privacy request/);
    expect((await post(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const approval = await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/);
    expect((await decideApproval(rt, approvalLinkIn(approval), { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(await rt.deps.records.getPatron(YUKI.id)).toBeUndefined();

    const memory = await rt.db.send(
      new QueryCommand({
        TableName: RECORDS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': recordKeys.erasedPartition },
      }),
    );
    expect(memory.Items?.map((m) => m.sk).sort()).toEqual(
      [
        await rt.deps.fingerprinter.fingerprint('patron-id', YUKI.id),
        await rt.deps.fingerprinter.fingerprint('card', YUKI.cardNumber),
      ].sort(),
    );
    expect(JSON.stringify(memory.Items)).not.toMatch(/P1007|21234000011007|Tanaka/);
    await rt.cleanup();
    rt = undefined;

    // The library exports again (the same people, Yuki among them; a new library name), and the runtime restarts.
    const exported = JSON.parse(await readFile(datasetPath, 'utf8')) as { library: { name: string } };
    exported.library.name = 'Second export';
    await writeFile(datasetPath, JSON.stringify(exported));
    rt = await start();
    const library = await rt.db.send(new GetCommand({ TableName: RECORDS_TABLE, Key: recordKeys.library }));
    expect(library.Item?.name).toBe('Second export'); // the file was loaded again
    expect(await rt.deps.records.getPatron(YUKI.id)).toBeUndefined();
    expect(await rt.deps.records.findPatronByCard(YUKI.cardNumber)).toBeUndefined();
    expect(await rt.deps.records.allRecords(YUKI.id, 'LOAN')).toEqual([]);
    expect(await rt.deps.records.findPatronByCard(ADA.cardNumber)).toMatchObject({ id: ADA.id });
  });
});
