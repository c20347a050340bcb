import { html } from '../lib/html.ts';
import { wrap, type Message } from './email-frame.ts';

/**
 * R19: a system did not answer after the step's retries. The privacy officer learns which system
 * and why (an error's name, never its message, R5); the request waits and tries again daily.
 */
export function systemUnreachableEmail(o: {
  library: string;
  requestId: string;
  system: string;
  reason: string;
  recheckAt: string;
}): Message {
  return {
    subject: `A library system did not answer: ${o.system}`,
    text: `Request ${o.requestId} could not reach "${o.system}" after several tries (reason: ${o.reason}). Nothing is reported as done in that system. The request waits and tries again daily (next: ${o.recheckAt}). Please check the system's connection and credentials.`,
    html: wrap(
      o.library,
      html`<p>Request <code>${o.requestId}</code> could not reach <strong>${o.system}</strong> after several tries (reason: <code>${o.reason}</code>).</p><p>Nothing is reported as done in that system. The request waits and tries again daily (next: ${o.recheckAt}).</p><p>Please check the system's connection and credentials.</p>`,
    ),
  };
}
