/**
 * Typed errors. Each `name` is stable: state machines match it in Retry/Catch, and the HTTP layer
 * maps it to a status. Messages never carry personal data (R5).
 */
export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A dependency failed in a way that a retry may fix (throttling, a dropped connection). */
export class TransientError extends DomainError {}

/**
 * An email handed to the mail service whose answer never came (the connection dropped, or timed
 * out, after the message was sent): it may have gone out. Named `TransientError` so that a step's
 * Retry matches it like any other; `sendOnce` counts it as sent (ARCHITECTURE.md, Faults).
 */
export class DeliveryUncertainError extends TransientError {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}

/** Input that does not satisfy a schema; `issues` name the fields, never their values. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {}

/** A token that was used already or has expired. */
export class GoneError extends DomainError {}

/** An optimistic-lock write lost to a concurrent writer. */
export class ConflictError extends DomainError {}

/** A state transition the request lifecycle does not allow. */
export class IllegalTransitionError extends DomainError {}

/** Data the workflow needs is missing or inconsistent: retrying will not help. */
export class IntegrityError extends DomainError {}

/**
 * A port or store this function was built without (functions/lib/deps.ts): its FUNCTION_ACCESS
 * entry withholds it, or its code never names it and its bundle left it out. A bug in how the
 * function was built, never in the request: retrying will not help, and the message names which.
 */
export class WithheldPortError extends DomainError {}

/** R13: the patron's records are under legal hold; no deletion or anonymisation may touch them. */
export class LegalHoldError extends DomainError {}

/** R8: the records changed since the deletion plan was made (an item was borrowed, a fine added): rebuild the plan. */
export class StalePlanError extends DomainError {}

/**
 * R19: a system of record answered in a way a retry will not fix (refused credentials, a request it
 * rejects, an answer that is not what its API promises). `reason` and `status` say which; the
 * message names the system and the operation, never a patron (R5).
 */
export class ConnectorError extends DomainError {
  constructor(
    message: string,
    readonly reason: 'unauthorised' | 'rejected' | 'malformed' | 'unsupported',
    readonly status?: number,
  ) {
    super(message);
  }
}
