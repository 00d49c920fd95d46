/**
 * The command handler behind an SQS source, as the construct wires it: ReportBatchItemFailures on
 * the mapping, a redrive policy `{ deadLetterTargetArn, maxReceiveCount }` on the queue. moto
 * serves the queues and the event store; `lambda-pollers.ts` plays Lambda's SQS poller.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmulator, stopEmulator } from './emulator';
import { captureOutput, jsonLines } from './fixtures';
import { AwsJsonClient, pollSqsOnce, SQS, type Handler, type SqsPoll } from './lambda-pollers';
import type { Moto } from './moto';
import { createEventStoreTables, handlerEnvironment, scanAll, type EventStoreTables } from './tables';
import { handler } from '../../lambda-templates/command-handler';

const MAX_RECEIVE_COUNT = 3;

let moto: Moto;
let ddb: DynamoDBClient;
let sqs: AwsJsonClient;

beforeAll(async () => {
  ({ moto, ddb } = await startEmulator());
  sqs = new AwsJsonClient(moto.endpoint, SQS);
});

afterAll(async () => {
  await stopEmulator();
});

let sequence = 0;

/** A fresh main queue and its DLQ, with the redrive policy the construct synthesizes. */
async function queues(): Promise<{ queueUrl: string; dlqUrl: string }> {
  const name = `commands-${++sequence}`;
  const dlq = await sqs.send('CreateQueue', { QueueName: `${name}-dlq` });
  const dlqArn = (await sqs.send('GetQueueAttributes', { QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
  const main = await sqs.send('CreateQueue', {
    QueueName: name,
    Attributes: {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    },
  });
  return { queueUrl: main.QueueUrl, dlqUrl: dlq.QueueUrl };
}

/** Send `bodies` in one SendMessageBatch; returns the message ids, in order. */
async function sendAll(queueUrl: string, bodies: string[]): Promise<string[]> {
  const sent = await sqs.send('SendMessageBatch', { QueueUrl: queueUrl, Entries: bodies.map((MessageBody, i) => ({ Id: `e${i}`, MessageBody })) });
  expect(sent.Failed ?? []).toEqual([]);
  const byId = new Map<string, string>(sent.Successful.map((s: { Id: string; MessageId: string }) => [s.Id, s.MessageId]));
  return bodies.map((_, i) => byId.get(`e${i}`)!);
}

/** The real handler, its logs captured; `logs` collects every JSON line it wrote. */
function capturing(logs: Record<string, any>[]): Handler {
  return async (event) => {
    const run = await captureOutput(() => handler(event));
    logs.push(...jsonLines(run.lines));
    if (run.error !== undefined) throw run.error;
    return run.result;
  };
}

async function events(tables: EventStoreTables) {
  return (await scanAll(ddb, tables.events)).sort((a, b) => a.streamId.localeCompare(b.streamId) || a.version - b.version);
}

async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes: a } = await sqs.send('GetQueueAttributes', {
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

const good = (i: number) => JSON.stringify({ commandId: `sqs-cmd-${i}`, streamId: 'sqs-order-1', type: 'ItemAdded', data: { index: i } });
const POISON = ['this is not JSON {', JSON.stringify({ commandId: 'sqs-poison-1', type: 'ItemAdded', data: { index: 99 } })];

describe('SQS source with a dead-letter queue', () => {
  let tables: EventStoreTables;
  let queueUrl: string;
  let dlqUrl: string;
  let messageIds: string[];
  let first: SqsPoll;
  const logs: Record<string, any>[] = [];
  const bodies = [good(0), good(1), POISON[0], good(2), good(3), good(4), POISON[1], good(5), good(6), good(7)];

  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'sqs');
    Object.assign(process.env, handlerEnvironment(tables));
    ({ queueUrl, dlqUrl } = await queues());
    messageIds = await sendAll(queueUrl, bodies);
    first = await pollSqsOnce(sqs, queueUrl, capturing(logs), { batchSize: 10 });
  });

  test('one poll of 10 messages, 2 of them poison: 8 commands appended, exactly the 2 poison messages reported', async () => {
    const poisonIds = [messageIds[2], messageIds[6]];
    expect(first.event.Records).toHaveLength(10);
    expect(first.event.Records.every(r => r.attributes.ApproximateReceiveCount === '1')).toBe(true);
    expect(first.error).toBeUndefined();
    expect((first.response as any).batchItemFailures.map((f: any) => f.itemIdentifier).sort()).toEqual([...poisonIds].sort());
    expect(first.failed.sort()).toEqual([...poisonIds].sort());
    expect(first.deleted.sort()).toEqual(messageIds.filter(id => !poisonIds.includes(id)).sort());

    const stored = await events(tables);
    expect(stored.map(e => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stored.map(e => e.metadata.commandId).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `sqs-cmd-${i}`));
    const rejected = logs.filter(l => l.message === 'Command rejected');
    expect(rejected.map(l => l.itemIdentifier).sort()).toEqual([...poisonIds].sort());
    expect(rejected.map(l => l.errorType)).toEqual(['InvalidCommandError', 'InvalidCommandError']);
  });

  test(`after ${MAX_RECEIVE_COUNT} receives the poison messages are in the DLQ, alone; the good commands were appended once`, async () => {
    const polls: SqsPoll[] = [first];
    for (let i = 0; i < 10 && polls[polls.length - 1].event.Records.length > 0; i++) {
      polls.push(await pollSqsOnce(sqs, queueUrl, capturing(logs), { batchSize: 10 }));
    }
    // Received (and reported) once per poll until the receive count reached maxReceiveCount;
    // the next receive moved them to the DLQ instead of delivering them.
    const deliveries = polls.filter(p => p.event.Records.length > 0);
    expect(deliveries).toHaveLength(MAX_RECEIVE_COUNT);
    expect(deliveries.slice(1).map(p => p.event.Records.map(r => r.messageId).sort()))
      .toEqual([[messageIds[2], messageIds[6]].sort(), [messageIds[2], messageIds[6]].sort()]);
    expect(deliveries.map(p => p.event.Records.map(r => r.attributes.ApproximateReceiveCount))).toEqual([
      Array(10).fill('1'), ['2', '2'], ['3', '3'],
    ]);
    expect(await queueDepth(queueUrl)).toBe(0);

    const dlq = await sqs.send('ReceiveMessage', { QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
    expect((dlq.Messages ?? []).map((m: any) => m.Body).sort()).toEqual([...POISON].sort());
    expect((dlq.Messages ?? []).map((m: any) => m.MessageId).sort()).toEqual([messageIds[2], messageIds[6]].sort());

    const stored = await events(tables);
    expect(stored.map(e => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(stored.map(e => e.metadata.commandId)).size).toBe(8);
    expect(logs.filter(l => l.message === 'Duplicate command: returning its first result')).toEqual([]);
    expect(logs.filter(l => l.message === 'Command rejected')).toHaveLength(2 * MAX_RECEIVE_COUNT);
  });
});

describe('SQS redelivery', () => {
  test('the same command sent twice (two messageIds, one commandId) appends once, in one batch or across batches', async () => {
    const tables = await createEventStoreTables(ddb, 'sqs-dup');
    Object.assign(process.env, handlerEnvironment(tables));
    const { queueUrl } = await queues();
    const body = JSON.stringify({ commandId: 'dup-cmd-1', streamId: 'dup-order-1', type: 'OrderPlaced', data: { total: 42 } });
    const logs: Record<string, any>[] = [];

    const ids = await sendAll(queueUrl, [body, body]);
    expect(new Set(ids).size).toBe(2);
    const poll = await pollSqsOnce(sqs, queueUrl, capturing(logs));
    expect(poll.event.Records.map(r => r.messageId).sort()).toEqual([...ids].sort());
    expect(poll.response).toEqual({ batchItemFailures: [] });
    const [again] = await sendAll(queueUrl, [body]);
    const later = await pollSqsOnce(sqs, queueUrl, capturing(logs));
    expect(later.event.Records.map(r => r.messageId)).toEqual([again]);
    expect(later.response).toEqual({ batchItemFailures: [] });

    const stored = await events(tables);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ streamId: 'dup-order-1', version: 1, eventType: 'OrderPlaced', data: { total: 42 } });
    expect(stored[0].metadata.commandId).toBe('dup-cmd-1');
    expect(logs.filter(l => l.message === 'Duplicate command: returning its first result').map(l => l.commandId)).toEqual(['dup-cmd-1', 'dup-cmd-1']);
    expect(await queueDepth(queueUrl)).toBe(0);
  });
});
