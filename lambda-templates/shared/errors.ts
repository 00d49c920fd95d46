/**
 * Errors of the command path. Each has a stable `errorType` (equal to its `name`, and
 * unaffected by minification) and the HTTP status the API Gateway source answers with.
 * Anything else that escapes the event store is an internal error (HTTP 500).
 */

/** Common shape of the errors a caller can act on. */
export abstract class CommandError extends Error {
  abstract readonly errorType: string;
  abstract readonly statusCode: number;

  /** Fields safe to return to the caller (never a payload, never a stack). */
  toResponseBody(): Record<string, unknown> {
    return { errorType: this.errorType, message: this.message };
  }
}

/** The command envelope is malformed. HTTP 400; retrying the same input cannot succeed. */
export class InvalidCommandError extends CommandError {
  readonly errorType = 'InvalidCommandError';
  readonly statusCode = 400;

  constructor(message: string) {
    super(message);
    this.name = this.errorType;
  }
}

/** The stream is not at the version the command expected (optimistic concurrency). HTTP 409. */
export class ConcurrencyConflictError extends CommandError {
  readonly errorType = 'ConcurrencyConflictError';
  readonly statusCode = 409;

  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | undefined,
    readonly actualVersion: number,
    message?: string,
  ) {
    super(message ?? (expectedVersion === undefined
      ? `stream ${streamId} kept changing while appending (last seen at version ${actualVersion})`
      : `stream ${streamId} is at version ${actualVersion}, the command expected version ${expectedVersion}`));
    this.name = this.errorType;
  }

  toResponseBody(): Record<string, unknown> {
    return {
      ...super.toResponseBody(),
      streamId: this.streamId,
      expectedVersion: this.expectedVersion,
      actualVersion: this.actualVersion,
    };
  }
}

/**
 * The command cannot be written in one DynamoDB transaction: more than 99 events (the 100th
 * transaction item is the idempotency record), an item over 400 KB, or a transaction over 4 MB.
 * HTTP 413.
 */
export class CommandTooLargeError extends CommandError {
  readonly errorType = 'CommandTooLargeError';
  readonly statusCode = 413;

  constructor(message: string) {
    super(message);
    this.name = this.errorType;
  }
}

/** True for the errors above, also across module copies (a bundle and its tests). */
export function isCommandError(error: unknown): error is CommandError {
  return error instanceof CommandError || (
    error instanceof Error
    && typeof (error as Partial<CommandError>).errorType === 'string'
    && typeof (error as Partial<CommandError>).statusCode === 'number'
    && typeof (error as Partial<CommandError>).toResponseBody === 'function'
  );
}
