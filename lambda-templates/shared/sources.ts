/**
 * Turn a Lambda event into command envelopes. Recognised: API Gateway proxy requests,
 * EventBridge events, SQS batches (SNS notifications and EventBridge events inside a body are
 * unwrapped), SNS notifications, Kinesis batches, DynamoDB Streams batches from another table,
 * and a direct invocation whose payload is the envelope itself.
 *
 * Each record parses lazily, so one malformed record fails alone and the batch goes on.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  APIGatewayProxyEvent, DynamoDBRecord, EventBridgeEvent, KinesisStreamRecord, SNSEventRecord, SQSRecord,
} from 'aws-lambda';
import { describeValue, isPlainObject, parseCommandEnvelope, parseJson, type CommandEnvelope, type JsonObject } from './envelope';
import { InvalidCommandError } from './errors';

export type SourceKind = 'apiGateway' | 'eventBridge' | 'sqs' | 'sns' | 'kinesis' | 'dynamodbStream' | 'direct';

export interface SourceRecord {
  /** What a partial batch response names (SQS messageId, Kinesis / DynamoDB sequence number); an id for logs otherwise. */
  readonly itemIdentifier: string;
  /** The record's command. Throws `InvalidCommandError` when the record is malformed. */
  readonly envelope: () => CommandEnvelope;
}

export interface SourceBatch {
  readonly kind: SourceKind;
  readonly records: readonly SourceRecord[];
  /** True for a FIFO SQS queue: order matters and a failure fails the rest of the batch. */
  readonly fifo: boolean;
}

/** The envelope fields a source may find in a document that is otherwise the event's data. */
const ENVELOPE_FIELDS = ['commandId', 'streamId', 'type', 'expectedVersion', 'metadata'] as const;

/** Classify `event` and list its records. */
export function recordsOf(event: unknown): SourceBatch {
  const batch = (kind: SourceKind, records: SourceRecord[], fifo = false): SourceBatch => ({ kind, records, fifo });
  if (isPlainObject(event)) {
    if (isPlainObject(event.requestContext) && ('httpMethod' in event || 'routeKey' in event)) {
      return batch('apiGateway', [apiGatewayRecord(event as unknown as APIGatewayProxyEvent)]);
    }
    if (isEventBridgeEvent(event)) {
      return batch('eventBridge', [{ itemIdentifier: String(event.id), envelope: () => fromEventBridge(event) }]);
    }
    const records = event.Records;
    if (Array.isArray(records) && records.length > 0 && isPlainObject(records[0])) {
      const first = records[0];
      if (first.eventSource === 'aws:sqs') {
        const sqs = records as SQSRecord[];
        return batch('sqs', sqs.map(sqsRecord), sqs.some(r => r.eventSourceARN?.endsWith('.fifo')));
      }
      if (first.EventSource === 'aws:sns') return batch('sns', (records as SNSEventRecord[]).map(snsRecord));
      if (first.eventSource === 'aws:kinesis') return batch('kinesis', (records as KinesisStreamRecord[]).map(kinesisRecord));
      if (first.eventSource === 'aws:dynamodb') return batch('dynamodbStream', (records as DynamoDBRecord[]).map(dynamoDbRecord));
    }
  }
  return batch('direct', [{
    itemIdentifier: isPlainObject(event) && typeof event.commandId === 'string' ? event.commandId : 'direct-invocation',
    envelope: () => parseCommandEnvelope(event),
  }]);
}

function apiGatewayRecord(event: APIGatewayProxyEvent): SourceRecord {
  return {
    itemIdentifier: event.requestContext?.requestId ?? 'api-request',
    envelope: () => {
      const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      const parsed = parseJson(body, 'the request body');
      if (isPlainObject(parsed) && parsed.commandId === undefined) {
        throw new InvalidCommandError('commandId is required in an API request (it makes retries safe), got undefined');
      }
      return parseCommandEnvelope(parsed);
    },
  };
}

function isEventBridgeEvent(value: unknown): value is EventBridgeEvent<string, unknown> {
  return isPlainObject(value) && typeof value['detail-type'] === 'string' && 'detail' in value && 'source' in value;
}

/**
 * `detail` is the envelope; `type` defaults to `detail-type` and `commandId` to the event id.
 * A `detail` without `data` (or `events`) is the event's data, its envelope fields read from it.
 */
function fromEventBridge(event: EventBridgeEvent<string, unknown>): CommandEnvelope {
  const detail = event.detail;
  if (!isPlainObject(detail)) throw new InvalidCommandError(`the EventBridge detail must be a JSON object, got ${describeValue(detail)}`);
  const defaults = { commandId: event.id, type: event['detail-type'] };
  if ('data' in detail || 'events' in detail) return parseCommandEnvelope(detail, defaults);
  return parseCommandEnvelope(documentAsData(detail), defaults);
}

function sqsRecord(record: SQSRecord): SourceRecord {
  return {
    itemIdentifier: record.messageId,
    envelope: () => {
      const body = parseJson(record.body, `SQS message ${record.messageId}`);
      if (isEventBridgeEvent(body)) return fromEventBridge(body);
      // An SNS notification delivered to the queue (raw message delivery off).
      if (isPlainObject(body) && body.Type === 'Notification' && typeof body.Message === 'string') {
        return parseCommandEnvelope(parseJson(body.Message, `SNS message ${String(body.MessageId)}`), {
          commandId: typeof body.MessageId === 'string' ? body.MessageId : record.messageId,
        });
      }
      return parseCommandEnvelope(body, { commandId: record.messageId });
    },
  };
}

function snsRecord(record: SNSEventRecord): SourceRecord {
  return {
    itemIdentifier: record.Sns.MessageId,
    envelope: () => parseCommandEnvelope(parseJson(record.Sns.Message, `SNS message ${record.Sns.MessageId}`), {
      commandId: record.Sns.MessageId,
    }),
  };
}

function kinesisRecord(record: KinesisStreamRecord): SourceRecord {
  return {
    itemIdentifier: record.kinesis.sequenceNumber,
    envelope: () => {
      const text = Buffer.from(record.kinesis.data ?? '', 'base64').toString('utf8');
      return parseCommandEnvelope(parseJson(text, `Kinesis record ${record.kinesis.sequenceNumber}`), {
        commandId: record.eventID,
      });
    },
  };
}

/** The new image is the event's data; envelope fields are read from it when present. */
function dynamoDbRecord(record: DynamoDBRecord): SourceRecord {
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? String(record.eventID);
  return {
    itemIdentifier: sequenceNumber,
    envelope: () => {
      // A REMOVE carries only OldImage (with NEW_AND_OLD_IMAGES); keys alone are never a command.
      const image = record.dynamodb?.NewImage ?? record.dynamodb?.OldImage;
      if (!image) {
        throw new InvalidCommandError(`DynamoDB stream record ${sequenceNumber} (${record.eventName}) has no item image: ` +
          'give the source table a NEW_IMAGE or NEW_AND_OLD_IMAGES stream');
      }
      let document: JsonObject;
      try {
        document = unmarshall(image as unknown as Record<string, AttributeValue>);
      } catch (e) {
        throw new InvalidCommandError(`DynamoDB stream record ${sequenceNumber} cannot be read: ${(e as Error).message}`);
      }
      return parseCommandEnvelope(documentAsData(document), {
        commandId: record.eventID,
        type: record.eventName,
        streamId: changedItemStreamId(record),
      });
    },
  };
}

/**
 * A changed item that names no `streamId` is an event of its own item's stream: `<table>#<key>=<value>`
 * (keys in name order, joined by '&'), so a table's changes become each item's history.
 */
function changedItemStreamId(record: DynamoDBRecord): string | undefined {
  const keys = record.dynamodb?.Keys;
  if (!keys) return undefined;
  const table = /:table\/([^/]+)/.exec(record.eventSourceARN ?? '')?.[1] ?? 'table';
  const values = unmarshall(keys as unknown as Record<string, AttributeValue>);
  return `${table}#${Object.keys(values).sort().map((k) => `${k}=${String(values[k])}`).join('&')}`;
}

/** An envelope whose data is the whole document, and whose other fields come from it when present. */
function documentAsData(document: JsonObject): JsonObject {
  const envelope: JsonObject = { data: document };
  for (const field of ENVELOPE_FIELDS) {
    if (document[field] !== undefined) envelope[field] = document[field];
  }
  return envelope;
}
