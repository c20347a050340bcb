import type { RequestKind } from '../functions/domain/request.ts';
import { DESK_KINDS } from '../functions/domain/staff-desk.ts';

/**
 * The state machines and the map of each one's `${Placeholder}` to the function that serves it.
 * CDK substitutes real function ARNs; the local runtime substitutes well-formed fake ARNs and runs
 * the same handler in-process. A function name is also its file: functions/handlers/<name>.ts.
 */
export const FUNCTIONS = [
  'api-requests',
  'act',
  'download',
  'task-match-patron',
  'task-request-verification',
  'task-build-access-report',
  'task-build-export',
  'task-set-status',
  'task-record-failure',
  'sweep-deadlines',
  'task-request-approval',
  'task-approval-lapsed',
  'task-deny',
  'task-prepare-correction',
  'task-request-email-confirmation',
  'task-request-phone-confirmation',
  'task-apply-correction',
  'task-build-deletion-plan',
  'task-record-deletion-progress',
  'task-send-deletion-outcome',
  'task-match-guardian',
  'task-request-consent',
  'task-request-guardian-link',
  'task-record-guardian-link',
  'task-build-guardian-report',
  'task-build-disclosure-package',
  'api-court-orders',
  'task-build-court-disclosure',
  'task-notify-court-disclosure',
  'task-court-order-close',
  'sweep-legal-holds',
  'sweep-due-dates',
  'start-retention',
  'task-tombstone-requests',
  'task-plan-retention',
  'task-sweep-loans',
  'task-finish-retention',
  'task-retention-staff-tasks',
  'task-purge-expired',
  'api-staff',
  'task-plan-systems',
  'task-reach-system',
  'task-await-system',
  'task-record-system-trouble',
  'sweep-waiting-systems',
  'task-request-system-task',
  'task-confirm-outreach-opt-out',
  'copy-audit-heads',
  'sweep-disclosure-notices',
  'sweep-court-order-documents',
  'sweep-unstarted-requests',
] as const;

export type FunctionName = (typeof FUNCTIONS)[number];

export interface WorkflowDefinition {
  /** ASL file in this folder. */
  file: string;
  /** `${Placeholder}` → function. */
  functions: Record<string, FunctionName>;
}

/** A patron's own request starts by matching the card to a record and verifying the person (R7). */
const PATRON_REQUEST_START = {
  MatchPatronFunctionArn: 'task-match-patron',
  RequestVerificationFunctionArn: 'task-request-verification',
} as const;

/** A step staff approve, and what happens when nobody does in time (R15). */
const STAFF_APPROVAL = {
  RequestApprovalFunctionArn: 'task-request-approval',
  ApprovalLapsedFunctionArn: 'task-approval-lapsed',
} as const;

/**
 * R19: the fan-out over the library's systems: plan them, reach each through its connector (or ask
 * its staff), and wait, re-checked daily, for a system that is blocked or did not answer.
 */
const REACH_SYSTEMS = {
  PlanSystemsFunctionArn: 'task-plan-systems',
  ReachSystemFunctionArn: 'task-reach-system',
  AwaitSystemFunctionArn: 'task-await-system',
  RecordSystemTroubleFunctionArn: 'task-record-system-trouble',
  RequestSystemTaskFunctionArn: 'task-request-system-task',
} as const;

/** How every request workflow ends: its status set, or its failure path, which tells the privacy officer. */
const REQUEST_END = {
  SetStatusFunctionArn: 'task-set-status',
  RecordFailureFunctionArn: 'task-record-failure',
} as const;

export const WORKFLOWS = {
  access: {
    file: 'access.asl.json',
    functions: {
      ...PATRON_REQUEST_START,
      ...REACH_SYSTEMS,
      BuildAccessReportFunctionArn: 'task-build-access-report',
      ...REQUEST_END,
    },
  },
  export: {
    file: 'export.asl.json',
    functions: {
      ...PATRON_REQUEST_START,
      ...REACH_SYSTEMS,
      BuildExportFunctionArn: 'task-build-export',
      ...REQUEST_END,
    },
  },
  correction: {
    file: 'correction.asl.json',
    functions: {
      ...PATRON_REQUEST_START,
      PrepareCorrectionFunctionArn: 'task-prepare-correction',
      RequestEmailConfirmationFunctionArn: 'task-request-email-confirmation',
      RequestPhoneConfirmationFunctionArn: 'task-request-phone-confirmation',
      ...STAFF_APPROVAL,
      ...REACH_SYSTEMS,
      ApplyCorrectionFunctionArn: 'task-apply-correction',
      DenyFunctionArn: 'task-deny',
      ...REQUEST_END,
    },
  },
  deletion: {
    file: 'deletion.asl.json',
    functions: {
      ...PATRON_REQUEST_START,
      BuildDeletionPlanFunctionArn: 'task-build-deletion-plan',
      ...STAFF_APPROVAL,
      ...REACH_SYSTEMS,
      RecordDeletionProgressFunctionArn: 'task-record-deletion-progress',
      SendDeletionOutcomeFunctionArn: 'task-send-deletion-outcome',
      DenyFunctionArn: 'task-deny',
      ...REQUEST_END,
    },
  },
  'guardian-access': {
    file: 'guardian-access.asl.json',
    functions: {
      MatchGuardianFunctionArn: 'task-match-guardian',
      RequestVerificationFunctionArn: 'task-request-verification',
      RequestGuardianLinkFunctionArn: 'task-request-guardian-link',
      RecordGuardianLinkFunctionArn: 'task-record-guardian-link',
      RequestConsentFunctionArn: 'task-request-consent',
      ...STAFF_APPROVAL,
      ...REACH_SYSTEMS,
      BuildGuardianReportFunctionArn: 'task-build-guardian-report',
      DenyFunctionArn: 'task-deny',
      ...REQUEST_END,
    },
  },
  'third-party': {
    file: 'third-party.asl.json',
    functions: {
      RequestVerificationFunctionArn: 'task-request-verification',
      MatchPatronFunctionArn: 'task-match-patron',
      RequestConsentFunctionArn: 'task-request-consent',
      ...STAFF_APPROVAL,
      ...REACH_SYSTEMS,
      BuildDisclosurePackageFunctionArn: 'task-build-disclosure-package',
      DenyFunctionArn: 'task-deny',
      ...REQUEST_END,
    },
  },
  'court-order': {
    file: 'court-order.asl.json',
    functions: {
      ...STAFF_APPROVAL,
      ...REACH_SYSTEMS,
      BuildDisclosureFunctionArn: 'task-build-court-disclosure',
      NotifyDisclosureFunctionArn: 'task-notify-court-disclosure',
      CloseCourtOrderFunctionArn: 'task-court-order-close',
      ...REQUEST_END,
    },
  },
  // R20: a patron, or a donor without a card, stops outreach in every system used for it.
  'outreach-opt-out': {
    file: 'outreach-opt-out.asl.json',
    functions: {
      ...PATRON_REQUEST_START,
      ...REACH_SYSTEMS,
      ConfirmOptOutFunctionArn: 'task-confirm-outreach-opt-out',
      ...REQUEST_END,
    },
  },
  // R16: the daily retention run (started by the `start-retention` schedule), not a patron request.
  retention: {
    file: 'retention.asl.json',
    functions: {
      TombstoneRequestsFunctionArn: 'task-tombstone-requests',
      PlanRetentionFunctionArn: 'task-plan-retention',
      SweepLoansFunctionArn: 'task-sweep-loans',
      FinishRetentionFunctionArn: 'task-finish-retention',
      RetentionStaffTasksFunctionArn: 'task-retention-staff-tasks',
      PurgeExpiredFunctionArn: 'task-purge-expired',
    },
  },
} as const satisfies Record<string, WorkflowDefinition>;

export type WorkflowName = keyof typeof WORKFLOWS;

/**
 * The workflow that carries each kind of request, in one place: a kind without one is refused
 * honestly until it exists. The public form, the desk and counsel's submit all start from here.
 */
export const WORKFLOW_OF_KIND: Readonly<Partial<Record<RequestKind, WorkflowName>>> = {
  access: 'access',
  export: 'export',
  correction: 'correction',
  deletion: 'deletion',
  'guardian-access': 'guardian-access',
  'third-party': 'third-party',
  'court-order': 'court-order',
  'outreach-opt-out': 'outreach-opt-out',
};

/** HTTP routes and the function behind each (API Gateway HTTP API in AWS, the local server here). */
export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  fn: FunctionName;
  /**
   * Signed-in routes: a bearer token is required (a Cognito JWT authorizer in AWS, the local token
   * check here) and must carry one of these groups; the handler reads the same claims in both.
   */
  groups?: readonly ('privacy-officer' | 'director' | 'counsel' | 'circulation')[];
}

const STAFF_GROUPS = ['privacy-officer', 'director', 'counsel', 'circulation'] as const;

export const HTTP_ROUTES: HttpRoute[] = [
  { method: 'POST', path: '/api/requests', fn: 'api-requests' },
  { method: 'GET', path: '/api/requests/{requestId}', fn: 'api-requests' },
  { method: 'POST', path: '/api/requests/{requestId}/cancel', fn: 'api-requests' },
  { method: 'GET', path: '/act/{token}', fn: 'act' },
  { method: 'POST', path: '/act/{token}', fn: 'act' },
  { method: 'GET', path: '/download/{token}', fn: 'download' },
  // R1, R17: a staff member's own link to a file to hand over: the GET shows a page, its POST downloads once.
  { method: 'POST', path: '/download/{token}', fn: 'download' },
  // R12: a staff approval, opened and decided signed in by the link's recipient; the link's secret
  // travels in the body, so no access log, CloudFront or API, ever holds it.
  { method: 'POST', path: '/api/staff/approvals/open', fn: 'act', groups: STAFF_GROUPS },
  { method: 'POST', path: '/api/staff/approvals/decide', fn: 'act', groups: STAFF_GROUPS },
  { method: 'POST', path: '/api/staff/approvals/document', fn: 'act', groups: STAFF_GROUPS },
  // R12: counsel, signed in. The PDF itself goes straight to storage (a presigned upload), never through the API.
  { method: 'POST', path: '/api/court-orders', fn: 'api-court-orders', groups: ['counsel'] },
  { method: 'GET', path: '/api/court-orders/{orderId}', fn: 'api-court-orders', groups: ['counsel'] },
  { method: 'POST', path: '/api/court-orders/{orderId}/submit', fn: 'api-court-orders', groups: ['counsel'] },
  {
    method: 'POST',
    path: '/api/court-orders/{orderId}/release-hold',
    fn: 'api-court-orders',
    groups: ['counsel', 'privacy-officer'],
  },
  // The staff desk (R1, R3, R4, R15): any staff role; the handler audits every read of a request.
  { method: 'GET', path: '/api/staff/requests', fn: 'api-staff', groups: STAFF_GROUPS },
  { method: 'POST', path: '/api/staff/requests', fn: 'api-staff', groups: STAFF_GROUPS },
  { method: 'GET', path: '/api/staff/requests/{requestId}', fn: 'api-staff', groups: STAFF_GROUPS },
  { method: 'GET', path: '/api/staff/requests/{requestId}/audit.csv', fn: 'api-staff', groups: STAFF_GROUPS },
  { method: 'POST', path: '/api/staff/requests/{requestId}/extend', fn: 'api-staff', groups: STAFF_GROUPS },
  // R4, R6: a second staff member approves a desk request; R1, R17: a printed file handed over.
  { method: 'POST', path: '/api/staff/requests/{requestId}/approve', fn: 'api-staff', groups: STAFF_GROUPS },
  { method: 'POST', path: '/api/staff/requests/{requestId}/hand-over', fn: 'api-staff', groups: STAFF_GROUPS },
  { method: 'GET', path: '/api/staff/stats', fn: 'api-staff', groups: STAFF_GROUPS },
];

/**
 * Which functions may invoke Step Functions callbacks or start executions, and which AWS services
 * each function touches: the CDK app grants exactly these (least privilege).
 */
export interface FunctionAccess {
  requests: 'read' | 'write';
  records: 'none' | 'read' | 'write';
  /** Reports and exports (the files bucket). */
  files: 'none' | 'read' | 'write';
  /** Court-order documents (their own versioned bucket); absent means none. 'delete': every version of an accepted order, nothing else (R16). */
  documents?: 'none' | 'read' | 'write' | 'delete';
  email: boolean;
  workflow: 'none' | 'start' | 'callback';
  /** With `workflow: 'start'`: the only state machines it may start (R12: least privilege). */
  starts?: readonly WorkflowName[];
  /** R8: kms:GenerateMac on the HMAC key that remembers erased people; absent means none. */
  fingerprint?: boolean;
  /** Background batch jobs only: dynamodb:Scan on the records table (parallel key-range segments); never a request path. */
  recordsScan?: boolean;
  /** Background only: dynamodb:Scan on the requests table (R13: the legal-hold registry's back-fill, hold-registry.ts). */
  requestsScan?: boolean;
  /**
   * R17: the audit table and the GenerateMac of its key. 'append' is a conditional PutItem that
   * cannot overwrite; nothing may update or delete there. Absent: 'append' for a requests writer,
   * 'read' otherwise (auditAccess).
   */
  audit?: 'read' | 'append';
  /** R17: kms:VerifyMac on the audit key (the staff desk shows whether a chain verifies). */
  auditVerify?: boolean;
  /** R17: s3:PutObject of chain heads in the Object Lock bucket (the daily copy only). */
  auditHeads?: boolean;
}

/** R17: what a function may do in the audit table. */
export const auditAccess = (a: FunctionAccess): 'read' | 'append' =>
  a.audit ?? (a.requests === 'write' ? 'append' : 'read');

/** The workflows of these kinds, each once. */
const workflowsOf = (kinds: readonly RequestKind[]): WorkflowName[] => [
  ...new Set(kinds.flatMap((k) => (WORKFLOW_OF_KIND[k] ? [WORKFLOW_OF_KIND[k]] : []))),
];

/** The public form starts every kind's workflow but a court order's (counsel's, signed in). */
const PUBLIC_WORKFLOWS = workflowsOf(
  (Object.keys(WORKFLOW_OF_KIND) as RequestKind[]).filter((k) => k !== 'court-order'),
);

export const FUNCTION_ACCESS: Record<FunctionName, FunctionAccess> = {
  'api-requests': {
    requests: 'write',
    records: 'none',
    files: 'none',
    email: false,
    workflow: 'start',
    starts: PUBLIC_WORKFLOWS,
  },
  // documents read: an approver opens the court order's PDF from the decision page (R12).
  // email: an answer of could-not goes to the privacy officer (R19).
  act: { requests: 'write', records: 'read', files: 'none', documents: 'read', email: true, workflow: 'callback' },
  download: { requests: 'write', records: 'none', files: 'read', email: false, workflow: 'none' },
  'task-match-patron': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  // callback: a request verified at the desk (R4) answers its own verification step at once.
  'task-request-verification': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'callback' },
  'task-build-access-report': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-build-export': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-set-status': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'none' },
  'task-record-failure': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'sweep-deadlines': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'callback' },
  'task-request-approval': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-approval-lapsed': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-deny': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-prepare-correction': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-request-email-confirmation': {
    requests: 'write',
    records: 'read',
    files: 'none',
    email: true,
    workflow: 'none',
  },
  // R6: emails circulation staff a call task (reads the staff list); only act.ts answers the callback.
  'task-request-phone-confirmation': {
    requests: 'write',
    records: 'read',
    files: 'none',
    email: true,
    workflow: 'none',
  },
  'task-apply-correction': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-build-deletion-plan': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  // R8: brings a deletion's outcome up to date after each system, and sends the one waiting letter.
  'task-record-deletion-progress': {
    requests: 'write',
    records: 'read',
    files: 'none',
    email: true,
    workflow: 'none',
  },
  'task-send-deletion-outcome': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-match-guardian': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-request-consent': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-request-guardian-link': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R11: the one writer of a guardian's link to a child's card, after desk staff checked a document.
  'task-record-guardian-link': { requests: 'write', records: 'write', files: 'none', email: true, workflow: 'none' },
  'task-build-guardian-report': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-build-disclosure-package': {
    requests: 'write',
    records: 'read',
    files: 'write',
    email: true,
    workflow: 'none',
  },
  // documents write: signs the presigned upload (s3:PutObject under incoming/ and orders/), then reads the stored PDF back to check it (R12).
  'api-court-orders': {
    requests: 'write',
    records: 'read',
    files: 'none',
    documents: 'write',
    email: false,
    workflow: 'start',
    starts: ['court-order'],
  },
  'task-build-court-disclosure': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-notify-court-disclosure': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-court-order-close': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'sweep-legal-holds': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R15: reads the staff queue index, records each reminder and escalation in the audit trail, emails staff.
  'sweep-due-dates': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R16: starts the day's retention run; reads the library's time zone.
  'start-retention': {
    requests: 'read',
    records: 'read',
    files: 'none',
    email: false,
    workflow: 'start',
    starts: ['retention'],
  },
  // R16: tombstones closed requests (requests table: the queue, the requests, holds, audit).
  'task-tombstone-requests': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'none' },
  // R16: writes the run's anonymisation secret (records table). R13: completes the legal-hold
  // registry and prunes it (requests table: one item updated, a Scan for the holds placed before
  // it, the hold query of each patron it lists; no audit).
  'task-plan-retention': {
    requests: 'write',
    requestsScan: true,
    audit: 'read',
    records: 'write',
    files: 'none',
    email: false,
    workflow: 'none',
  },
  // R16, R13: scans one key-range segment of the records table; reads legal holds (requests table).
  'task-sweep-loans': {
    requests: 'read',
    records: 'write',
    recordsScan: true,
    files: 'none',
    email: false,
    workflow: 'none',
  },
  // R16: deletes the run's secret (records table).
  'task-finish-retention': { requests: 'read', records: 'write', files: 'none', email: false, workflow: 'none' },
  // R16, R19: emails each manual system's staff its periodic retention task (reads the staff list; audit, sent-email records).
  'task-retention-staff-tasks': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R16, R8, R13: scans the records table for long-expired cards and erases those patrons through every
  // connector (R8: remembers each erased person as keyed hashes, like a deletion).
  'task-purge-expired': {
    requests: 'write',
    records: 'write',
    recordsScan: true,
    fingerprint: true,
    files: 'none',
    email: false,
    workflow: 'none',
  },
  // The staff desk: reads patrons for the request page (audited, R1), emails a deadline extension (R15), starts desk requests (R4).
  'api-staff': {
    requests: 'write',
    records: 'read',
    files: 'none',
    auditVerify: true,
    email: true,
    workflow: 'start',
    starts: workflowsOf(DESK_KINDS),
  },
  // R19: reads the request and writes one pending result per system.
  'task-plan-systems': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'none' },
  // R19, R8: a request's work in one system through its connector: reads, corrects, erases (fingerprints first, R8).
  'task-reach-system': {
    requests: 'write',
    records: 'write',
    fingerprint: true,
    files: 'none',
    email: false,
    workflow: 'none',
  },
  'task-await-system': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'none' },
  // R19: tells the privacy officer which system did not answer (reads the staff list).
  'task-record-system-trouble': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R19: emails a manual system's task to the staff of its role.
  'task-request-system-task': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'callback' },
  // R20: tells the requester which systems stopped outreach (reads the patron's or donor's email on file).
  'task-confirm-outreach-opt-out': {
    requests: 'write',
    records: 'read',
    files: 'none',
    email: true,
    workflow: 'none',
  },
  // R8: wakes waiting systems' steps for their daily re-check.
  'sweep-waiting-systems': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'callback' },
  // R17: reads the audit table's day index and each grown chain's head; adds one copy to the Object Lock bucket.
  'copy-audit-heads': {
    requests: 'read',
    records: 'none',
    files: 'none',
    email: false,
    workflow: 'none',
    audit: 'read',
    auditHeads: true,
  },
  // R13a: tells the patron of a disclosure once an order's nondisclosure period ends (reads the patron's email, emails).
  'sweep-disclosure-notices': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R16, R13: deletes court-order documents whose period has ended (reads orders, requests and holds; appends the audit event).
  'sweep-court-order-documents': {
    requests: 'write',
    records: 'none',
    files: 'none',
    documents: 'delete',
    email: false,
    workflow: 'none',
  },
  // Starts the workflow of a request stored but never started (app/unstarted-requests.ts): reads the
  // status index, appends one audit event per start, starts any request kind's workflow.
  'sweep-unstarted-requests': {
    requests: 'read',
    audit: 'append',
    records: 'none',
    files: 'none',
    email: false,
    workflow: 'start',
    starts: workflowsOf(Object.keys(WORKFLOW_OF_KIND) as RequestKind[]),
  },
};

/** Functions run on a schedule (EventBridge in AWS; a timer in the local runtime). */
export const SCHEDULES: { fn: FunctionName; everyMinutes: number }[] = [
  { fn: 'sweep-deadlines', everyMinutes: 5 },
  // R13: records each legal hold that lapsed on its date in the audit trail, and tells counsel.
  { fn: 'sweep-legal-holds', everyMinutes: 60 },
  // R15: reminders before due dates, escalation after, and the OverdueRequests metric (the alarm reads its hourly maximum).
  { fn: 'sweep-due-dates', everyMinutes: 30 },
  // R16: the daily retention run (tombstones, loan history); one execution per library day.
  { fn: 'start-retention', everyMinutes: 1440 },
  // R8, R19: re-checks, once a day, each system a request waits on (a blocker, no answer).
  { fn: 'sweep-waiting-systems', everyMinutes: 60 },
  // R17: copies the heads of the audit chains that grew to write-once storage.
  { fn: 'copy-audit-heads', everyMinutes: 1440 },
  // R13a: the notice owed once a court order's nondisclosure period ends, within the hour.
  { fn: 'sweep-disclosure-notices', everyMinutes: 60 },
  // R16: court-order documents whose retention period has ended, once a day.
  { fn: 'sweep-court-order-documents', everyMinutes: 1440 },
  // A request stored but never started (its submission failed in between) is started within minutes.
  { fn: 'sweep-unstarted-requests', everyMinutes: 5 },
];

/**
 * R19: how many systems a request's fan-out (each request workflow's `EachSystem` Map) reaches at
 * once. A library configures a handful (the ILS, e-content, bookings, newsletter and fundraising
 * lists): all of them at once, so none waits for another's slot (issue 15, fan-out); bounded, so a
 * long systems file (up to 50) does not open fifty calls at once. ASL is JSON and cannot import
 * this: each file writes it out, and test/infra/fan-out.test.ts holds every Map to it.
 */
export const SYSTEMS_MAP_CONCURRENCY = 10;

/** One rule of a Task state's `Retry`, as the ASL files write it. */
export interface RetryRule {
  ErrorEquals: readonly string[];
  IntervalSeconds: number;
  BackoffRate: number;
  MaxAttempts: number;
}

/**
 * The one `Retry` of every Task state: the errors a second try may fix (our TransientError, and the
 * Lambda service's own throttling and hiccups), six more tries, 2 s doubling to 64 s apart (about
 * two minutes in all, as AWS advises for Lambda's service errors). A step makes dozens of calls,
 * and a call that still fails after the SDK's own retries fails the whole try: with fewer tries a
 * rare hard fault per call adds up to a failed request (the chaos run, ARCHITECTURE.md, Faults).
 * Anything else is permanent and goes to the state's Catch. ASL is JSON and cannot import this, so
 * each file writes it out; test/infra/retry.test.ts holds every Task state to it.
 */
export const TASK_RETRY: readonly RetryRule[] = [
  {
    ErrorEquals: [
      'TransientError',
      'Lambda.ServiceException',
      'Lambda.TooManyRequestsException',
      'Lambda.SdkClientException',
    ],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 6,
  },
];

/** The failure path retries every error, more often and longer: if it gave up, a failed request would go unseen. */
const FAILURE_PATH_RETRY: readonly RetryRule[] = [
  { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 7 },
];

const SYSTEM_TROUBLE_REASON =
  "R19: a system's step gave up: the privacy officer must hear which system did not answer, so the alert " +
  'retries every error, longer than a step; it is safe to repeat (one audit event per attempt, checked before it alerts).';

const RECORD_FAILURE_REASON =
  'The failure path itself: no request may be left in a state nobody can see, so it retries every error, ' +
  'more often and longer than a step; it is safe to repeat (it checks the status and the audit event ' +
  'before it writes or alerts, so a retry sends no second alert).';

/**
 * Task states whose `Retry` is not TASK_RETRY, keyed `file:state` (a state inside a Map or Parallel
 * by its own name), each with the Retry it has (null: none at all) and why.
 */
export const RETRY_EXCEPTIONS: Record<string, { retry: readonly RetryRule[] | null; reason: string }> = {
  'access.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'access.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'deletion.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'correction.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'correction.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'outreach-opt-out.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'outreach-opt-out.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'court-order.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'court-order.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'deletion.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'export.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'export.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'guardian-access.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'guardian-access.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'third-party.asl.json:RecordFailure': { retry: FAILURE_PATH_RETRY, reason: RECORD_FAILURE_REASON },
  'third-party.asl.json:SystemTrouble': { retry: FAILURE_PATH_RETRY, reason: SYSTEM_TROUBLE_REASON },
  'retention.asl.json:SweepLoanSegment': {
    retry: [
      {
        ErrorEquals: [
          'TransientError',
          'ProvisionedThroughputExceededException',
          'ThrottlingException',
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'Lambda.SdkClientException',
        ],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 4,
      },
      { ErrorEquals: ['States.Timeout'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 2 },
    ],
    reason:
      "R16: a scan of the whole records table in batches, where throttling is expected rather than rare: DynamoDB's " +
      'throttling errors reach the state machine by their own names (test/workflows/retention.test.ts fails a ' +
      'batch delete this way), and get one attempt more. A timed-out invocation is run again from the same ' +
      "cursor, which is safe: the run's secret makes the same anonymised copies, so nothing is copied twice.",
  },
};
