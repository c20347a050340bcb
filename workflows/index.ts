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
  act: { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'callback' },
  download: { requests: 'write', records: 'none', files: 'read', email: false, workflow: 'none' },
  'task-match-patron': { requests: 'write', records: 'read', files: 'none', email: false, workflow: 'none' },
  'task-request-verification': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'task-build-access-report': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-build-export': { requests: 'write', records: 'read', files: 'write', email: true, workflow: 'none' },
  'task-set-status': { requests: 'write', records: 'none', files: 'none', email: false, workflow: 'none' },
  'task-record-failure': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'none' },
  'sweep-deadlines': { requests: 'write', records: 'read', files: 'none', email: true, workflow: 'callback' },
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
};

/** Functions run on a schedule (EventBridge in AWS; a timer in the local runtime). */
export const SCHEDULES: { fn: FunctionName; everyMinutes: number }[] = [{ fn: 'sweep-deadlines', everyMinutes: 5 }];
