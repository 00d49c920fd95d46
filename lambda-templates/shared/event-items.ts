/**
 * The items one command writes (DESIGN §4): one event item per event, at versions
 * current+1..current+n, and the idempotency record of the command. Limits are checked here,
 * before any write.
 */
import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { EventStoreConfig } from './config';
import type { CommandEnvelope, JsonObject } from './envelope';
import { CommandTooLargeError } from './errors';
import { itemSize, MAX_ITEM_BYTES, MAX_TRANSACTION_BYTES } from './item-size';

/** One TransactWriteItems holds 100 items; one of them is the command's idempotency record. */
export const MAX_EVENTS_PER_COMMAND = 99;
/** How long the idempotency record of a command is kept. */
export const COMMAND_RECORD_TTL_SECONDS = 30 * 24 * 3600;

/** An event as stored in the events table. */
export interface StoredEvent {
  readonly streamId: string;
  readonly version: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly timestamp: string;
  readonly expiresAt?: number;
  /** GSI key attributes copied from `data`. */
  readonly [gsiKey: string]: unknown;
}

/** What an accepted command returns, and what its idempotency record keeps. */
export interface AppendResult {
  readonly streamId: string;
  readonly version: number;
  readonly eventIds: string[];
}

/** The marshalled items of one append. */
export interface CommandItems {
  readonly events: StoredEvent[];
  readonly eventItems: Record<string, AttributeValue>[];
  readonly commandItem: Record<string, AttributeValue>;
  readonly result: AppendResult;
}

const EVENT_ATTRIBUTES = new Set(['streamId', 'version', 'eventId', 'eventType', 'schemaVersion', 'data', 'metadata', 'timestamp', 'expiresAt']);

/** Reject a command with too many events before building anything. */
export function checkEventCount(command: CommandEnvelope): void {
  if (command.events.length > MAX_EVENTS_PER_COMMAND) {
    throw new CommandTooLargeError(
      `a command appends at most ${MAX_EVENTS_PER_COMMAND} events (one transaction of 100 items, one being the idempotency record), got ${command.events.length}`);
  }
}

/** Build and size-check the items of `command` appended after `currentVersion`. */
export function buildCommandItems(
  command: CommandEnvelope,
  currentVersion: number,
  config: EventStoreConfig,
  now: Date = new Date(),
): CommandItems {
  checkEventCount(command);
  const timestamp = now.toISOString();
  const epochSeconds = Math.floor(now.getTime() / 1000);
  const events = command.events.map((event, i): StoredEvent => {
    const metadata = { ...command.metadata, ...event.metadata };
    const stored: Record<string, unknown> = {
      streamId: command.streamId,
      version: currentVersion + i + 1,
      eventId: randomUUID(),
      eventType: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: {
        ...metadata,
        ...(command.type !== undefined && command.type !== event.type ? { commandType: command.type } : {}),
        commandId: command.commandId,
        correlationId: metadata.correlationId ?? command.commandId,
        causationId: metadata.causationId ?? command.commandId,
      },
      timestamp,
      ...(config.eventTtlSeconds ? { expiresAt: epochSeconds + config.eventTtlSeconds } : {}),
    };
    for (const key of config.gsiKeyAttributes) {
      const value = event.data[key];
      // Only scalars can be key attributes; never overwrite an attribute of the contract.
      if (!EVENT_ATTRIBUTES.has(key) && (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))) {
        stored[key] = value;
      }
    }
    return stored as StoredEvent;
  });

  const result: AppendResult = {
    streamId: command.streamId,
    version: currentVersion + events.length,
    eventIds: events.map(e => e.eventId),
  };
  const eventItems = events.map(e => toItem(e));
  const commandItem = toItem({
    commandId: command.commandId,
    streamId: command.streamId,
    result,
    createdAt: timestamp,
    expiresAt: epochSeconds + COMMAND_RECORD_TTL_SECONDS,
  });
  checkSizes(eventItems, commandItem);
  return { events, eventItems, commandItem, result };
}

export function toItem(record: object): Record<string, AttributeValue> {
  return marshall(record, { removeUndefinedValues: true });
}

function checkSizes(eventItems: Record<string, AttributeValue>[], commandItem: Record<string, AttributeValue>): void {
  let total = itemSize(commandItem);
  eventItems.forEach((item, i) => {
    const size = itemSize(item);
    if (size > MAX_ITEM_BYTES) {
      throw new CommandTooLargeError(
        `event ${i} (${item.eventType.S}) is ${size} bytes as a DynamoDB item; the limit is ${MAX_ITEM_BYTES} bytes (400 KB)`);
    }
    total += size;
  });
  if (total > MAX_TRANSACTION_BYTES) {
    throw new CommandTooLargeError(`the command's items total ${total} bytes; one transaction holds at most ${MAX_TRANSACTION_BYTES} bytes (4 MB)`);
  }
}
