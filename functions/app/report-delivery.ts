import type { AuditValue } from '../domain/audit.ts';
import type { Category } from '../domain/categories.ts';
import type { Patron } from '../domain/dataset.ts';
import type { Deps } from '../lib/deps.ts';
import type { Message } from '../render/email-frame.ts';
import { reportForDeskEmail } from '../render/emails.ts';
import { renderAccessReport, type AccessReportInput, type ReportAudience } from '../render/report.ts';
import { collectRecords, readSystems } from './systems/records-from-systems.ts';
import { deliverToPersonOrDesk, storeReport, type Addressee, type LibraryPlace } from './deliver.ts';
import type { DownloadFile } from './download-link.ts';
import type { TaskLink } from './staff-tasks.ts';

/**
 * The report step of every disclosure (R18): reads the person's records in `categories` and nothing
 * else (R9, R10, R14: what is not disclosed is never even read) from every system that holds them,
 * as each system answered for the request (R19), marks the request in progress, renders the report
 * with what each system answered, and stores it. Answers the stored file, for the download link
 * that delivers it; its name is `namePrefix` and the start of the request id, never a person's name.
 */
export async function storeAccessReport(
  deps: Pick<Deps, 'requests' | 'files' | 'policy' | 'clock' | 'systems' | 'systemResults' | 'connector'>,
  o: {
    requestId: string;
    step: string;
    library: LibraryPlace;
    patron: Patron;
    categories: readonly Category[];
    verification: AccessReportInput['verification'];
    audience?: ReportAudience;
    namePrefix: string;
  },
): Promise<Omit<DownloadFile, 'recipient'>> {
  const read = await readSystems(deps, { requestId: o.requestId, patronId: o.patron.id, categories: o.categories });
  const records = await collectRecords(read.source, o.categories);
  await deps.requests.transition(o.requestId, 'in-progress');
  const report = renderAccessReport({
    library: o.library,
    generatedAt: deps.clock().toISOString(),
    requestId: o.requestId,
    policy: deps.policy,
    patron: o.patron,
    ...records,
    systems: read.summary,
    retentionSystems: deps.systems,
    verification: o.verification,
    ...(o.audience ? { audience: o.audience } : {}),
  });
  return {
    requestId: o.requestId,
    step: o.step,
    fileKey: await storeReport(deps, o.requestId, report),
    fileName: `${o.namePrefix}-${o.requestId.slice(0, 8)}.html`,
    contentType: 'text/html; charset=utf-8',
  };
}

/**
 * A stored report to the person it is for (R7: the email on their own record, or the desk for a
 * person with none), then the disclosure on the audit trail: R2, its legal basis in `disclosure`;
 * R17, ids and enums only. A retry finds `report-delivered` there and the use case stops.
 */
export async function deliverReport(
  deps: Deps,
  o: {
    library: LibraryPlace;
    person: Addressee;
    file: Omit<DownloadFile, 'recipient'>;
    toPerson: (link: TaskLink) => Message;
    disclosure: Record<string, AuditValue>;
  },
): Promise<void> {
  const channel = await deliverToPersonOrDesk(deps, {
    library: o.library,
    person: o.person,
    file: o.file,
    what: 'report',
    toPerson: o.toPerson,
    toDesk: reportForDeskEmail,
  });
  await deps.audit.append(o.file.requestId, {
    eventId: 'report-delivered',
    type: 'disclosure',
    actor: { kind: 'system' },
    data: { ...o.disclosure, channel },
  });
}
