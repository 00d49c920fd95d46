/**
 * Lambda events as each source delivers them (the fields the handler reads, plus the usual
 * neighbours), and a way to run the handler while capturing what it logs.
 */
import type { Context } from 'aws-lambda';

let counter = 0;
const next = () => ++counter;

export function apiGatewayEvent(body: unknown, options: { raw?: boolean; base64?: boolean } = {}): Record<string, unknown> {
  const text = options.raw ? String(body) : JSON.stringify(body);
  return {
    resource: '/commands',
    path: '/commands',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    requestContext: { requestId: `req-${next()}`, stage: 'prod', httpMethod: 'POST' },
    isBase64Encoded: !!options.base64,
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
  };
}

export function sqsRecord(messageId: string, body: unknown, raw = false): Record<string, unknown> {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: raw ? String(body) : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:commands',
    awsRegion: 'us-east-1',
  };
}

export function snsNotification(messageId: string, message: unknown): Record<string, unknown> {
  return { Type: 'Notification', MessageId: messageId, TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: JSON.stringify(message) };
}

export function snsEvent(messageId: string, message: unknown): Record<string, unknown> {
  return {
    Records: [{
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:t:sub',
      Sns: { Type: 'Notification', MessageId: messageId, TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: JSON.stringify(message) },
    }],
  };
}

export function kinesisRecord(sequenceNumber: string, payload: unknown, raw = false): Record<string, unknown> {
  const text = raw ? String(payload) : JSON.stringify(payload);
  return {
    eventSource: 'aws:kinesis',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/commands',
    awsRegion: 'us-east-1',
    kinesis: { partitionKey: 'p', sequenceNumber, data: Buffer.from(text).toString('base64'), kinesisSchemaVersion: '1.0' },
  };
}

export function eventBridgeEvent(detailType: string, detail: unknown): Record<string, unknown> {
  return {
    'version': '0',
    'id': `eb-${next()}`,
    'detail-type': detailType,
    'source': 'com.example.orders',
    'account': '123456789012',
    'time': new Date().toISOString(),
    'region': 'us-east-1',
    'resources': [],
    detail,
  };
}

export function dynamoDbStreamRecord(sequenceNumber: string, newImage: Record<string, unknown>): Record<string, unknown> {
  return {
    eventID: `ddb-${sequenceNumber}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: { SequenceNumber: sequenceNumber, StreamViewType: 'NEW_IMAGE', NewImage: newImage, SizeBytes: 100 },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/other/stream/2024',
  };
}

export function lambdaContext(): Context {
  const id = `aws-req-${next()}`;
  return {
    awsRequestId: id,
    functionName: 'command-handler',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:command-handler',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/command-handler',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Captured<T> {
  readonly result?: T;
  readonly error?: unknown;
  /** Every line written to stdout/stderr while running (Powertools logs and EMF metrics). */
  readonly lines: string[];
}

/** Run `fn`, capturing (and silencing) stdout and stderr; never throws: the error is returned. */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map(s => s.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
  }
  try {
    return { result: await fn(), lines: split(chunks) };
  } catch (error) {
    return { error, lines: split(chunks) };
  } finally {
    streams.forEach((s, i) => { s.write = originals[i]; });
  }
}

function split(chunks: string[]): string[] {
  return chunks.join('').split('\n').filter(l => l.trim() !== '');
}

/** The JSON lines among `lines` (Powertools writes one JSON object per line). */
export function jsonLines(lines: string[]): Record<string, any>[] {
  return lines.flatMap((l) => {
    try {
      const parsed = JSON.parse(l);
      return typeof parsed === 'object' && parsed !== null ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
