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
  'task-apply-correction',
  'task-build-deletion-plan',
  'task-execute-deletion',
  'task-verify-deletion',
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
] as const;

export type FunctionName = (typeof FUNCTIONS)[number];

export interface WorkflowDefinition {
  /** ASL file in this folder. */
  file: string;
  /** `${Placeholder}` → function. */
  functions: Record<string, FunctionName>;
}

export const WORKFLOWS = {
  access: {
    file: 'access.asl.json',
    functions: {
      MatchPatronFunctionArn: 'task-match-patron',
      RequestVerificationFunctionArn: 'task-request-verification',
      BuildAccessReportFunctionArn: 'task-build-access-report',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
    },
  },
  export: {
    file: 'export.asl.json',
    functions: {
      MatchPatronFunctionArn: 'task-match-patron',
      RequestVerificationFunctionArn: 'task-request-verification',
      BuildExportFunctionArn: 'task-build-export',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
    },
  },
  correction: {
    file: 'correction.asl.json',
    functions: {
      MatchPatronFunctionArn: 'task-match-patron',
      RequestVerificationFunctionArn: 'task-request-verification',
      PrepareCorrectionFunctionArn: 'task-prepare-correction',
      RequestEmailConfirmationFunctionArn: 'task-request-email-confirmation',
      RequestApprovalFunctionArn: 'task-request-approval',
      ApprovalLapsedFunctionArn: 'task-approval-lapsed',
      ApplyCorrectionFunctionArn: 'task-apply-correction',
      DenyFunctionArn: 'task-deny',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
    },
  },
  deletion: {
    file: 'deletion.asl.json',
    functions: {
      MatchPatronFunctionArn: 'task-match-patron',
      RequestVerificationFunctionArn: 'task-request-verification',
      BuildDeletionPlanFunctionArn: 'task-build-deletion-plan',
      RequestApprovalFunctionArn: 'task-request-approval',
      ApprovalLapsedFunctionArn: 'task-approval-lapsed',
      ExecuteDeletionFunctionArn: 'task-execute-deletion',
      VerifyDeletionFunctionArn: 'task-verify-deletion',
      SendDeletionOutcomeFunctionArn: 'task-send-deletion-outcome',
      DenyFunctionArn: 'task-deny',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
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
      RequestApprovalFunctionArn: 'task-request-approval',
      ApprovalLapsedFunctionArn: 'task-approval-lapsed',
      BuildGuardianReportFunctionArn: 'task-build-guardian-report',
      DenyFunctionArn: 'task-deny',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
    },
  },
  'third-party': {
    file: 'third-party.asl.json',
    functions: {
      MatchPatronFunctionArn: 'task-match-patron',
      RequestConsentFunctionArn: 'task-request-consent',
      RequestApprovalFunctionArn: 'task-request-approval',
      ApprovalLapsedFunctionArn: 'task-approval-lapsed',
      BuildDisclosurePackageFunctionArn: 'task-build-disclosure-package',
      DenyFunctionArn: 'task-deny',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
    },
  },
  'court-order': {
    file: 'court-order.asl.json',
    functions: {
      RequestApprovalFunctionArn: 'task-request-approval',
      ApprovalLapsedFunctionArn: 'task-approval-lapsed',
      BuildDisclosureFunctionArn: 'task-build-court-disclosure',
      NotifyDisclosureFunctionArn: 'task-notify-court-disclosure',
      CloseCourtOrderFunctionArn: 'task-court-order-close',
      SetStatusFunctionArn: 'task-set-status',
      RecordFailureFunctionArn: 'task-record-failure',
    },
  },
} as const satisfies Record<string, WorkflowDefinition>;

export type WorkflowName = keyof typeof WORKFLOWS;

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

export const HTTP_ROUTES: HttpRoute[] = [
  { method: 'POST', path: '/api/requests', fn: 'api-requests' },
  { method: 'GET', path: '/api/requests/{requestId}', fn: 'api-requests' },
  { method: 'POST', path: '/api/requests/{requestId}/cancel', fn: 'api-requests' },
  { method: 'GET', path: '/act/{token}', fn: 'act' },
  { method: 'POST', path: '/act/{token}', fn: 'act' },
  { method: 'GET', path: '/download/{token}', fn: 'download' },
  // R12: counsel, signed in. The PDF itself goes straight to storage (a presigned upload), never through the API.
  { method: 'POST', path: '/api/court-orders', fn: 'api-court-orders', groups: ['counsel'] },
  { method: 'GET', path: '/api/court-orders/{orderId}', fn: 'api-court-orders', groups: ['counsel'] },
  { method: 'POST', path: '/api/court-orders/{orderId}/submit', fn: 'api-court-orders', groups: ['counsel'] },
  { method: 'POST', path: '/api/court-orders/{orderId}/release-hold', fn: 'api-court-orders', groups: ['counsel'] },
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
  /** Court-order documents (their own versioned bucket); absent means none. */
  documents?: 'none' | 'read' | 'write';
  email: boolean;
  workflow: 'none' | 'start' | 'callback';
}

export const FUNCTION_ACCESS: Record<FunctionName, FunctionAccess> = {
  'api-requests': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'start' },
  // documents read: an approver opens the court order's PDF from the decision page (R12).
  act: { requests: 'write', records: 'read', files: 'none', documents: 'read', email: false, workflow: 'callback' },
  download: { requests: 'write', records: 'none', files: 'read', email: false, workflow: 'none' },
  'task-match-patron': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-request-verification': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-build-access-report': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-build-export': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-set-status': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'none' },
  'task-record-failure': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'sweep-deadlines': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'callback' },
  'task-request-approval': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-approval-lapsed': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-deny': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-prepare-correction': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-request-email-confirmation': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-apply-correction': { requests: 'write', records: 'write', files: 'none', email: true, workflow: 'none' },
  'task-build-deletion-plan': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-execute-deletion': { requests: 'write', records: 'write', files: 'none', email: false, workflow: 'none' },
  'task-verify-deletion': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-send-deletion-outcome': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-match-guardian': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-request-consent': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-request-guardian-link': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  // R11: the one writer of a guardian's link to a child's card, after desk staff checked a document.
  'task-record-guardian-link': { requests: 'write', records: 'write', files: 'none', email: true, workflow: 'none' },
  'task-build-guardian-report': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-build-disclosure-package': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  // documents write: signs the presigned upload (s3:PutObject under orders/), then reads the stored PDF back to check it (R12).
  'api-court-orders': { requests: 'write', records: 'read', files: 'none', documents: 'write', email: false, workflow: 'start' },
  'task-build-court-disclosure': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-notify-court-disclosure': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-court-order-close': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'sweep-legal-holds': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
};

/** Functions run on a schedule (EventBridge in AWS; a timer in the local runtime). */
export const SCHEDULES: { fn: FunctionName; everyMinutes: number }[] = [
  { fn: 'sweep-deadlines', everyMinutes: 5 },
  // R13: records each legal hold that lapsed on its date in the audit trail, and tells counsel.
  { fn: 'sweep-legal-holds', everyMinutes: 60 },
];
