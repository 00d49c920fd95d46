/**
 * Read a DynamoDB Streams batch of the events table into per-stream work. Records that are not
 * appends (not INSERT, or not an event item) are ignored; a record that cannot be read is
 * malformed: it fails, and so blocks the later records of its stream when its stream is known
 * (from the record's keys).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { State } from '../shared/fold';

/** The parts of an event item (DESIGN §4) a projection needs. */
export interface ProjectedEvent {
  readonly streamId: string;
  readonly version: number;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly data: State;
}

export interface BatchEvent {
  /** Position in the batch (= shard order). */
  readonly index: number;
  /** The record's sequence number: what a partial batch response names. */
  readonly itemIdentifier: string;
  readonly event: ProjectedEvent;
}

export interface MalformedRecord {
  readonly index: number;
  readonly itemIdentifier: string;
  readonly streamId?: string;
  readonly reason: string;
}

/** One stream's records in a batch. */
export interface StreamWork {
  readonly streamId: string;
  /** In batch order. */
  readonly events: BatchEvent[];
  /** Index of the stream's first malformed record: nothing from there on may be applied. */
  blockedAt?: number;
}

export interface ParsedBatch {
  readonly streams: StreamWork[];
  readonly malformed: MalformedRecord[];
  readonly ignored: number;
}

type RecordReading = { kind: 'event'; event: ProjectedEvent } | { kind: 'ignored' } | { kind: 'malformed'; reason: string };

export function parseBatch(records: readonly DynamoDBRecord[]): ParsedBatch {
  const streams = new Map<string, StreamWork>();
  const malformed: MalformedRecord[] = [];
  let ignored = 0;
  const workOf = (streamId: string) => {
    let work = streams.get(streamId);
    if (!work) streams.set(streamId, work = { streamId, events: [] });
    return work;
  };
  records.forEach((record, index) => {
    const itemIdentifier = record?.dynamodb?.SequenceNumber ?? '';
    const reading = readRecord(record);
    if (reading.kind === 'ignored') {
      ignored++;
    } else if (reading.kind === 'event') {
      workOf(reading.event.streamId).events.push({ index, itemIdentifier, event: reading.event });
    } else {
      const streamId = record?.dynamodb?.Keys?.streamId?.S;
      malformed.push({ index, itemIdentifier, streamId, reason: reading.reason });
      if (streamId !== undefined) {
        const work = workOf(streamId);
        work.blockedAt ??= index;
      }
    }
  });
  return { streams: [...streams.values()], malformed, ignored };
}

function readRecord(record: DynamoDBRecord): RecordReading {
  if (record?.eventName !== 'INSERT') return { kind: 'ignored' };
  if (!record.dynamodb?.SequenceNumber) return { kind: 'malformed', reason: 'the record has no SequenceNumber' };
  const image = record.dynamodb.NewImage;
  if (!image) return { kind: 'malformed', reason: 'the record has no NewImage: the stream view type must include new images' };
  let item: Record<string, unknown>;
  try {
    item = unmarshall(image as Record<string, AttributeValue>);
  } catch (error) {
    return { kind: 'malformed', reason: `the NewImage cannot be read: ${(error as Error).message}` };
  }
  const { streamId, version, eventId, eventType, data } = item;
  if (streamId === undefined || version === undefined) return { kind: 'ignored' };
  if (typeof streamId !== 'string' || streamId === '') return { kind: 'malformed', reason: 'streamId is not a non-empty string' };
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    return { kind: 'malformed', reason: `version must be an integer >= 1, got ${String(version)}` };
  }
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
    return { kind: 'malformed', reason: 'data is not a map' };
  }
  return {
    kind: 'event',
    event: {
      streamId,
      version,
      eventId: typeof eventId === 'string' ? eventId : undefined,
      eventType: typeof eventType === 'string' ? eventType : undefined,
      data: (data ?? {}) as State,
    },
  };
}
