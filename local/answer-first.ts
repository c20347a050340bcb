import { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';

/**
 * In AWS, StartExecution returns at once and the execution runs elsewhere. Here the engine runs in
 * the same process as the HTTP server, so an execution started while an answer is being prepared
 * is held until that answer has gone out: the person who pressed "Send request" never waits on the
 * workflow's first steps. The execution is already stored by then, so a restart loses nothing.
 */
interface Answer {
  sent: boolean;
  after: (() => void)[];
}

const answering = new AsyncLocalStorage<Answer>();
let preparing = 0;
const whenAllSent = new Set<() => void>();

/** How many HTTP answers are being prepared now: the engine gives way to them. */
export const answersInProgress = (): number => preparing;

/**
 * Calls `listener` each time the last answer being prepared has gone out (the engine lets in the
 * task invocations that waited for it); answers a function that stops the calls.
 */
export function onAnswersSent(listener: () => void): () => void {
  whenAllSent.add(listener);
  return () => whenAllSent.delete(listener);
}

/** Runs `handle` as the preparation of `res`'s answer; what it defers runs once the answer is sent or dropped. */
export function answerFirst<T>(res: ServerResponse, handle: () => T): T {
  const answer: Answer = { sent: false, after: [] };
  preparing++;
  const release = () => {
    if (answer.sent) return;
    answer.sent = true;
    preparing--;
    if (preparing === 0) for (const listener of whenAllSent) listener();
    // Outside this answer's context: an execution is not part of the HTTP request that started it.
    for (const work of answer.after.splice(0)) answering.exit(() => setImmediate(work));
  };
  res.once('finish', release);
  res.once('close', release);
  return answering.run(answer, handle);
}

/** Runs `work` after the answer being prepared, if any, has been sent; otherwise on the next turn. */
export function afterAnswer(work: () => void): void {
  const answer = answering.getStore();
  if (answer && !answer.sent) answer.after.push(work);
  else answering.exit(() => setImmediate(work));
}
