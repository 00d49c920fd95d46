/**
 * The command envelope (DESIGN §4), accepted from every source:
 * `{ commandId, streamId, type, data, expectedVersion?, metadata?, events? }`.
 * `events` appends several events in one command; without it the command appends one event
 * of `type` with `data`. Validation failures are `InvalidCommandError`s whose message names
 * the field, what is allowed and the value given.
 */
import { InvalidCommandError } from './errors';

export type JsonObject = Record<string, unknown>;

/** One event a command asks to append. */
export interface EventInput {
  readonly type: string;
  readonly data: JsonObject;
  readonly schemaVersion: number;
  readonly metadata: JsonObject;
}

/** A validated command. */
export interface CommandEnvelope {
  readonly commandId: string;
  readonly streamId: string;
  /** The command's type; for a single-event command, also the event's type. */
  readonly type?: string;
  /** When given, the stream must be exactly at this version (0 = the stream must be new). */
  readonly expectedVersion?: number;
  /** Metadata for every event of the command (each event's own metadata wins). */
  readonly metadata: JsonObject;
  /** The events to append, in order; at least one. */
  readonly events: readonly EventInput[];
}

/** Values a source supplies when the envelope leaves them out. */
export interface EnvelopeDefaults {
  readonly commandId?: string;
  readonly streamId?: string;
  readonly type?: string;
}

const ENVELOPE_KEYS = ['commandId', 'streamId', 'type', 'data', 'schemaVersion', 'expectedVersion', 'metadata', 'events'];
const EVENT_KEYS = ['type', 'data', 'schemaVersion', 'metadata'];
/** DynamoDB limits a partition key to 2048 bytes; ids are kept well below. */
const MAX_ID_BYTES = 1024;

/** Parse and validate an envelope. Throws `InvalidCommandError`. */
export function parseCommandEnvelope(input: unknown, defaults: EnvelopeDefaults = {}): CommandEnvelope {
  const envelope = requireObject(input, 'the command');
  rejectUnknownKeys(envelope, ENVELOPE_KEYS, 'the command');

  const commandId = envelope.commandId ?? defaults.commandId;
  const type = envelope.type ?? defaults.type;
  const metadata = optionalObject(envelope.metadata, 'metadata');
  const expectedVersion = optionalVersion(envelope.expectedVersion);

  let events: EventInput[];
  if (envelope.events !== undefined) {
    if (envelope.data !== undefined || envelope.schemaVersion !== undefined) {
      throw new InvalidCommandError('give either events or data/schemaVersion, not both');
    }
    if (!Array.isArray(envelope.events) || envelope.events.length === 0) {
      throw new InvalidCommandError(`events must be a non-empty array, got ${describeValue(envelope.events)}`);
    }
    events = envelope.events.map((e, i) => parseEvent(e, `events[${i}]`));
    if (type !== undefined) requireName(type, 'type');
  } else {
    events = [{
      type: requireName(type, 'type'),
      data: optionalObject(envelope.data, 'data'),
      schemaVersion: optionalSchemaVersion(envelope.schemaVersion, 'schemaVersion'),
      metadata: {},
    }];
  }

  return {
    commandId: requireId(commandId, 'commandId'),
    streamId: requireId(envelope.streamId ?? defaults.streamId, 'streamId'),
    type: type as string | undefined,
    expectedVersion,
    metadata,
    events,
  };
}

/** `JSON.parse` that reports bad JSON as an `InvalidCommandError`. */
export function parseJson(text: string | null | undefined, what: string): unknown {
  if (text === undefined || text === null || text === '') {
    throw new InvalidCommandError(`${what} is empty; expected a JSON command`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidCommandError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A short, safe rendering of a rejected value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEvent(input: unknown, path: string): EventInput {
  const event = requireObject(input, path);
  rejectUnknownKeys(event, EVENT_KEYS, path);
  return {
    type: requireName(event.type, `${path}.type`),
    data: optionalObject(event.data, `${path}.data`),
    schemaVersion: optionalSchemaVersion(event.schemaVersion, `${path}.schemaVersion`),
    metadata: optionalObject(event.metadata, `${path}.metadata`),
  };
}

function requireObject(value: unknown, path: string): JsonObject {
  if (!isPlainObject(value)) throw new InvalidCommandError(`${path} must be a JSON object, got ${describeValue(value)}`);
  return value;
}

function rejectUnknownKeys(object: JsonObject, allowed: string[], path: string): void {
  const unknown = Object.keys(object).filter(k => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new InvalidCommandError(`${path} has unknown field(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`);
  }
}

function requireName(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidCommandError(`${path} must be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

function requireId(value: unknown, path: string): string {
  const id = requireName(value, path);
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new InvalidCommandError(`${path} must be at most ${MAX_ID_BYTES} bytes, got ${Buffer.byteLength(id, 'utf8')}`);
  }
  return id;
}

function optionalObject(value: unknown, path: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new InvalidCommandError(`${path} must be a JSON object, got ${describeValue(value)}`);
  return value;
}

function optionalVersion(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidCommandError(`expectedVersion must be an integer >= 0 (0 = a new stream), got ${describeValue(value)}`);
  }
  return value;
}

function optionalSchemaVersion(value: unknown, path: string): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidCommandError(`${path} must be an integer >= 1, got ${describeValue(value)}`);
  }
  return value;
}
