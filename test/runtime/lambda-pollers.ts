/**
 * A small simulation of what Lambda's event source mappings do between a queue or a stream and a
 * function, for the runtime tests: read from moto, build the event Lambda would build, invoke the
 * real handler, and act on its partial batch response (ReportBatchItemFailures) as Lambda does.
 * It is a test harness, not a product: no concurrency, no batching window, no record age.
 *
 * The project has no SQS, Kinesis or DynamoDB Streams client of the AWS SDK among its
 * dependencies, so `AwsJsonClient` speaks the AWS JSON protocol (a POST with `X-Amz-Target`)
 * itself. It plays the Lambda service, which is no user of the JavaScript SDK either; the handler
 * under test keeps its real SDK client. moto does not verify signatures: the Authorization header
 * carries a credential scope only because moto's dispatcher reads the service name from it.
 */

export type Handler = (event: unknown) => Promise<unknown>;

export interface JsonService {
  /** The SigV4 signing name, which moto routes by. */
  readonly signingName: string;
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
}

export const SQS: JsonService = { signingName: 'sqs', targetPrefix: 'AmazonSQS', jsonVersion: '1.0' };
export const KINESIS: JsonService = { signingName: 'kinesis', targetPrefix: 'Kinesis_20131202', jsonVersion: '1.1' };
export const DYNAMODB_STREAMS: JsonService = { signingName: 'dynamodb', targetPrefix: 'DynamoDBStreams_20120810', jsonVersion: '1.0' };

/** A minimal AWS JSON-protocol client for one service on the emulator. */
export class AwsJsonClient {
  constructor(readonly endpoint: string, private readonly service: JsonService, readonly region = 'us-east-1') {}

  async send(action: string, input: Record<string, unknown>): Promise<any> {
    const day = new Date().toISOString().slice(0, 10).split('-').join('');
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': `application/x-amz-json-${this.service.jsonVersion}`,
        'X-Amz-Target': `${this.service.targetPrefix}.${action}`,
        'Authorization': `AWS4-HMAC-SHA256 Credential=test/${day}/${this.region}/${this.service.signingName}/aws4_request, `
          + 'SignedHeaders=content-type;host;x-amz-target, Signature=unverified',
      },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    if (!response.ok) {
      throw new Error(`${this.service.targetPrefix}.${action}: HTTP ${response.status} ${body.__type ?? ''} ${body.message ?? body.Message ?? text}`);
    }
    return body;
  }
}

/**
 * The identifiers Lambda takes as failed from a response: none for an empty or missing list, the
 * named ones when all name records of the batch, every one when the response is malformed (an
 * empty, null or unknown itemIdentifier) or the function threw.
 */
function failedIdentifiers(ids: string[], outcome: { response?: unknown; error?: unknown }): string[] {
  if (outcome.error !== undefined) return ids;
  const failures = (outcome.response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return [];
  const named = failures.map(f => (f as { itemIdentifier?: unknown } | null)?.itemIdentifier);
  if (named.some(id => typeof id !== 'string' || !ids.includes(id))) return ids;
  return ids.filter(id => named.includes(id));
}

async function invoke(handler: Handler, event: unknown): Promise<{ response?: unknown; error?: unknown }> {
  try {
    return { response: await handler(event) };
  } catch (error) {
    return { error: error ?? new Error('handler threw') };
  }
}

// ---------------------------------------------------------------------------------------------
// SQS

export interface SqsPollOptions {
  /** At most 10 (one ReceiveMessage). @default 10 */
  readonly batchSize?: number;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

export interface SqsPoll {
  /** The event given to the handler (no invocation when nothing was received). */
  readonly event: { Records: Record<string, any>[] };
  readonly response?: unknown;
  readonly error?: unknown;
  /** Deleted from the queue: every record not reported as failed. */
  readonly deleted: string[];
  /** Left on the queue, visible again at once. */
  readonly failed: string[];
}

const queueArns = new Map<string, string>();

/** One receive and one invocation, as Lambda's SQS poller does it. */
export async function pollSqsOnce(sqs: AwsJsonClient, queueUrl: string, handler: Handler, options: SqsPollOptions = {}): Promise<SqsPoll> {
  if (!queueArns.has(queueUrl)) {
    const attributes = await sqs.send('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['QueueArn'] });
    queueArns.set(queueUrl, attributes.Attributes.QueueArn);
  }
  const received = await sqs.send('ReceiveMessage', {
    QueueUrl: queueUrl,
    MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
    VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
    WaitTimeSeconds: 0,
    AttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'],
    MessageAttributeNames: ['All'],
  });
  const messages: Record<string, any>[] = received.Messages ?? [];
  const event = { Records: messages.map(m => sqsEventRecord(m, queueArns.get(queueUrl)!, sqs.region)) };
  if (messages.length === 0) return { event, deleted: [], failed: [] };

  const outcome = await invoke(handler, event);
  const ids = messages.map(m => m.MessageId as string);
  const failed = failedIdentifiers(ids, outcome);
  const done = messages.filter(m => !failed.includes(m.MessageId));
  if (done.length > 0) {
    const result = await sqs.send('DeleteMessageBatch', {
      QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
    });
    if (result.Failed?.length) throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(result.Failed)}`);
  }
  // Lambda leaves a failed message alone: it becomes visible again when its visibility timeout
  // ends. The harness makes it visible now, so that the next poll gets it without waiting.
  for (const message of messages.filter(m => failed.includes(m.MessageId))) {
    await sqs.send('ChangeMessageVisibility', { QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 });
  }
  return { event, ...outcome, deleted: ids.filter(id => !failed.includes(id)), failed };
}

function sqsEventRecord(message: Record<string, any>, queueArn: string, region: string): Record<string, unknown> {
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries<Record<string, any>>(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      stringValue: value.StringValue, binaryValue: value.BinaryValue, stringListValues: [], binaryListValues: [], dataType: value.DataType,
    };
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: message.Attributes ?? {},
    messageAttributes,
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

// ---------------------------------------------------------------------------------------------
// Kinesis and DynamoDB Streams

/** Where a read starts: the shard's start, at a record (a retry), or after one (the checkpoint). */
export type ShardPosition = { readonly type: 'TRIM_HORIZON' } | { readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface ShardReader {
  readonly shardId: string;
  readonly streamArn: string;
  /** Up to `limit` records from `position`, in order, each as its sequence number and Lambda's record. */
  read(position: ShardPosition, limit: number): Promise<{ sequenceNumber: string; record: Record<string, unknown> }[]>;
}

export interface StreamPollOptions {
  /** @default 100 (Lambda's default for both sources) */
  readonly batchSize?: number;
  /** Retries of a failing record before its batch goes to the on-failure destination. */
  readonly retryAttempts: number;
  /** @default true (as the construct configures it) */
  readonly bisectBatchOnError?: boolean;
  /** A bound on the simulation. @default 100 */
  readonly maxInvocations?: number;
}

export interface StreamInvocation {
  readonly sequenceNumbers: string[];
  readonly response?: unknown;
  readonly error?: unknown;
  /** The record Lambda retries from (the first failed one), if any failed. */
  readonly failedAt?: string;
  /** 0 for the first invocation that failed at `failedAt`, then 1, 2, ... for its retries. */
  readonly retry: number;
}

/** What Lambda sends to the on-failure destination (its `KinesisBatchInfo` / `DDBStreamBatchInfo`). */
export interface OnFailureEntry {
  readonly shardId: string;
  readonly streamArn: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
}

export interface StreamPollResult {
  readonly invocations: StreamInvocation[];
  readonly onFailure: OnFailureEntry[];
}

/**
 * Read one shard to its end as a stream mapping with ReportBatchItemFailures, bisect on error,
 * bounded retries and an on-failure destination does, per the Lambda documentation:
 * - a batch that succeeds moves the checkpoint past its last record;
 * - a reported item failure moves the checkpoint just before that record, and the retry is the
 *   batch cut there ("bisected at the returned sequence number"): that record to the batch's end;
 * - a function error (a throw) with bisect on splits the batch in two and tries the halves in
 *   order, so a poison record ends up alone; a split is not counted as a retry (our reading of
 *   "split the batch in two and retry": the halves are new batches);
 * - any other invocation that starts at the record that failed last is a retry of it; after
 *   `retryAttempts` failed retries the batch last tried is discarded (an on-failure entry with its
 *   sequence-number range) and processing goes on after it.
 */
export async function pollShard(reader: ShardReader, handler: Handler, options: StreamPollOptions): Promise<StreamPollResult> {
  const batchSize = options.batchSize ?? 100;
  const bisect = options.bisectBatchOnError ?? true;
  const invocations: StreamInvocation[] = [];
  const onFailure: OnFailureEntry[] = [];
  type Batch = Awaited<ReturnType<ShardReader['read']>>;
  // Batches waiting (cuts and halves of a batch already read), in shard order.
  const pending: Array<{ batch: Batch; split: boolean }> = [];
  let position: ShardPosition = { type: 'TRIM_HORIZON' };
  let failing: { sequenceNumber: string; retries: number } | undefined;
  for (;;) {
    if (invocations.length >= (options.maxInvocations ?? 100)) throw new Error(`still failing after ${invocations.length} invocations`);
    const next = pending.shift();
    let batch = next?.batch;
    if (!batch) {
      batch = await reader.read(position, batchSize);
      if (batch.length === 0) return { invocations, onFailure };
      position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: batch[batch.length - 1].sequenceNumber };
    }
    const sequenceNumbers = batch.map(r => r.sequenceNumber);
    const retry = failing?.sequenceNumber === sequenceNumbers[0] ? failing.retries + (next?.split ? 0 : 1) : 0;
    const outcome = await invoke(handler, { Records: batch.map(r => r.record) });
    const functionError = outcome.error !== undefined;
    const failedAt = failedIdentifiers(sequenceNumbers, outcome)[0];
    invocations.push({ sequenceNumbers, ...outcome, failedAt, retry: failedAt === undefined ? 0 : retry });
    if (failedAt === undefined) {
      failing = undefined;
      continue;
    }
    const retries = failedAt === sequenceNumbers[0] ? retry : 0;
    if (retries >= options.retryAttempts) {
      const discarded = sequenceNumbers.slice(sequenceNumbers.indexOf(failedAt));
      onFailure.push({
        shardId: reader.shardId,
        streamArn: reader.streamArn,
        startSequenceNumber: discarded[0],
        endSequenceNumber: discarded[discarded.length - 1],
        batchSize: discarded.length,
      });
      failing = undefined;
      continue;
    }
    failing = { sequenceNumber: failedAt, retries };
    const cut = batch.slice(sequenceNumbers.indexOf(failedAt));
    if (functionError && bisect && cut.length > 1) {
      const half = Math.ceil(cut.length / 2);
      pending.unshift({ batch: cut.slice(0, half), split: true }, { batch: cut.slice(half), split: true });
    } else {
      pending.unshift({ batch: cut, split: false });
    }
  }
}

/** A Kinesis shard as Lambda reads it, records shaped as in Lambda's Kinesis event. */
export async function kinesisShardReader(kinesis: AwsJsonClient, streamName: string, shardId: string): Promise<ShardReader> {
  const { StreamDescription: description } = await kinesis.send('DescribeStream', { StreamName: streamName });
  const streamArn: string = description.StreamARN;
  return {
    shardId,
    streamArn,
    async read(position, limit) {
      const { ShardIterator } = await kinesis.send('GetShardIterator', {
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: position.type,
        StartingSequenceNumber: position.type === 'TRIM_HORIZON' ? undefined : position.sequenceNumber,
      });
      const page = await kinesis.send('GetRecords', { ShardIterator, Limit: limit });
      return (page.Records as Record<string, any>[]).map(r => ({
        sequenceNumber: r.SequenceNumber,
        record: {
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey,
            sequenceNumber: r.SequenceNumber,
            data: r.Data, // base64 on the wire, as in Lambda's event
            approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::123456789012:role/command-handler',
          awsRegion: kinesis.region,
          eventSourceARN: streamArn,
        },
      }));
    },
  };
}

/** A DynamoDB stream's shard as Lambda reads it: the stream records plus `eventSourceARN`. */
export function dynamoDbShardReader(streams: AwsJsonClient, streamArn: string, shardId: string): ShardReader {
  return {
    shardId,
    streamArn,
    async read(position, limit) {
      const { ShardIterator } = await streams.send('GetShardIterator', {
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: position.type,
        SequenceNumber: position.type === 'TRIM_HORIZON' ? undefined : position.sequenceNumber,
      });
      const page = await streams.send('GetRecords', { ShardIterator, Limit: limit });
      return (page.Records as Record<string, any>[]).map(r => ({
        sequenceNumber: r.dynamodb.SequenceNumber,
        record: { ...r, eventSourceARN: streamArn },
      }));
    },
  };
}

/** `pollShard` on a Kinesis shard. */
export async function pollKinesisShard(
  kinesis: AwsJsonClient, streamName: string, shardId: string, handler: Handler, options: StreamPollOptions,
): Promise<StreamPollResult> {
  return pollShard(await kinesisShardReader(kinesis, streamName, shardId), handler, options);
}
