import { Duration } from 'aws-cdk-lib';
import { HTTP_ROUTES, type FunctionName } from '../../workflows/index.ts';

export interface FunctionSettings {
  description: string;
  timeout: Duration;
  memorySize: number;
}

/*
 * Timeouts stay under what calls them: the HTTP API gives up after 30 s, each Task state's
 * TimeoutSeconds, a schedule's interval (test/infra checks the last two).
 */
const API_DEFAULT: FunctionSettings = { description: 'HTTP handler', timeout: Duration.seconds(15), memorySize: 1024 };
const TASK_DEFAULT: FunctionSettings = {
  description: 'Workflow task',
  timeout: Duration.seconds(25),
  memorySize: 1024,
};

const OVERRIDES: Partial<Record<FunctionName, Partial<FunctionSettings>>> = {
  'api-requests': { description: 'Requests API: submit, status, cancel' },
  act: { description: 'Action links in emails: confirm, consent, approve, done' },
  download: { description: 'Report and export downloads by expiring link (R8a)' },
  'task-match-patron': { description: 'Task: match the request to a patron' },
  'task-request-verification': { description: 'Task: send the verification link to the contact on file (R7)' },
  // Streams a whole patron history into one report (ASL TimeoutSeconds 300).
  'task-build-access-report': {
    description: 'Task: build and deliver the access report (R18)',
    timeout: Duration.seconds(280),
    memorySize: 1769,
  },
  'task-set-status': { description: 'Task: record a status change' },
  'task-record-failure': { description: 'Task: mark the request failed and alert staff' },
  // Streams a whole history into one zip (ASL TimeoutSeconds 900).
  'task-build-export': {
    description: 'Task: build and deliver the export (R8a)',
    timeout: Duration.seconds(880),
    memorySize: 1769,
  },
  // Streams a whole history through a system's erasure (or a read) in batches (ASL TimeoutSeconds 900).
  'task-reach-system': {
    description: "Task: a request's work in one system through its connector (R19, R8, R13)",
    timeout: Duration.seconds(880),
    memorySize: 1024,
  },
  'task-build-deletion-plan': {
    description: 'Task: plan a deletion with its blockers (R8)',
    timeout: Duration.seconds(280),
  },
  'task-match-guardian': { description: 'Task: match a guardian and the child, link and age band (R9-R11)' },
  'task-request-consent': { description: "Task: ask the data subject's consent through their own channel (R10, R14)" },
  'task-request-guardian-link': {
    description: "Task: desk task to record a guardian's link after seeing a document (R11, R4)",
  },
  'task-record-guardian-link': { description: "Task: write a guardian's link to a child's card (R11)" },
  // Reads the child's history in the allowed categories into one report (ASL TimeoutSeconds 300).
  'task-build-guardian-report': {
    description: "Task: build and deliver a guardian's report of a child's records (R9, R10)",
    timeout: Duration.seconds(280),
    memorySize: 1769,
  },
  'task-build-disclosure-package': {
    description: 'Task: build and deliver the permitted categories to a third party (R14)',
    timeout: Duration.seconds(280),
    memorySize: 1769,
  },
  // R17: reads a week of the audit day index and each grown chain's head, then writes one object.
  'copy-audit-heads': {
    description: "Scheduled: copy the audit chains' heads to write-once storage (R17)",
    timeout: Duration.seconds(120),
  },
  // Drains every expired callback in batches; ends well before the next scheduled run.
  'sweep-deadlines': {
    description: 'Scheduled: fail workflow steps whose link expired (R7, R15)',
    timeout: Duration.seconds(120),
  },
};

const API_FUNCTIONS = new Set<FunctionName>(HTTP_ROUTES.map((r) => r.fn));

export const settingsFor = (name: FunctionName): FunctionSettings => ({
  ...(API_FUNCTIONS.has(name) ? API_DEFAULT : TASK_DEFAULT),
  ...OVERRIDES[name],
});
