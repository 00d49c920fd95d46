/**
 * The command handler behind a Kinesis stream and a DynamoDB stream, as the construct maps them:
 * ReportBatchItemFailures, bisect on error, 3 retries and an on-failure destination. moto serves
 * the streams and the event store; `lambda-pollers.ts` plays Lambda's stream poller.
 *
 * Each source carries 10 commands for one aggregate, in order; record #5 (index 4) is poison
 * (a negative expectedVersion). The handler must apply records 0-3, report record 4 as the checkpoint and apply
 * nothing after it in that invocation; at the head of a batch it makes the handler throw, so Lambda
 * bisects until it is alone; once its retries are spent only record 4 is discarded, and records 5-9
 * are applied, each exactly once and in order.
 */
import { CreateTableCommand, DescribeTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { startEmulator, stopEmulator } from './emulator';
import { captureOutput, jsonLines } from './fixtures';
import {
  AwsJsonClient, DYNAMODB_STREAMS, dynamoDbShardReader, KINESIS, kinesisShardReader, pollShard,
  type Handler, type ShardReader, type StreamPollResult,
} from './lambda-pollers';
import type { Moto } from './moto';
import { createEventStoreTables, handlerEnvironment, scanAll, type EventStoreTables } from './tables';
import { handler } from '../../lambda-templates/command-handler';

const RETRY_ATTEMPTS = 3;
const POISON_INDEX = 4;
const GOOD = [0, 1, 2, 3, 5, 6, 7, 8, 9];

let moto: Moto;
let ddb: DynamoDBClient;

beforeAll(async () => {
  ({ moto, ddb } = await startEmulator());
});

afterAll(async () => {
  await stopEmulator();
});

/** The 10 commands of `label`'s aggregate; the one at POISON_INDEX is malformed. */
function commands(label: string): Record<string, unknown>[] {
  return Array.from({ length: 10 }, (_, index) => ({
    commandId: `${label}-cmd-${index}`,
    streamId: `${label}-order-1`,
    // An expectedVersion below 0 is malformed: this record can never succeed.
    ...(index === POISON_INDEX ? { expectedVersion: -1 } : {}),
    type: 'ItemAdded',
    index,
  }));
}

interface Run {
  readonly result: StreamPollResult;
  /** The commandIds in the event store after each invocation, in version order. */
  readonly appliedAfter: string[][];
  readonly logs: Record<string, any>[];
  readonly tables: EventStoreTables;
}

/** Drain `reader` through the real handler into fresh event-store tables. */
async function run(label: string, reader: ShardReader): Promise<Run> {
  const tables = await createEventStoreTables(ddb, label);
  Object.assign(process.env, handlerEnvironment(tables));
  const appliedAfter: string[][] = [];
  const logs: Record<string, any>[] = [];
  const invokeAndLook: Handler = async (event) => {
    const invocation = await captureOutput(() => handler(event));
    logs.push(...jsonLines(invocation.lines));
    appliedAfter.push((await storedEvents(tables)).map(e => e.metadata.commandId));
    if (invocation.error !== undefined) throw invocation.error;
    return invocation.result;
  };
  const result = await pollShard(reader, invokeAndLook, { retryAttempts: RETRY_ATTEMPTS });
  return { result, appliedAfter, logs, tables };
}

async function storedEvents(tables: EventStoreTables) {
  return (await scanAll(ddb, tables.events)).sort((a, b) => a.version - b.version);
}

/** What both sources must show; `sequenceNumbers` are the 10 records' in order. */
async function expectCheckpointSemantics(label: string, reader: ShardReader, { result, appliedAfter, logs, tables }: Run) {
  const seq = result.invocations[0].sequenceNumbers;
  const ids = (indexes: number[]) => indexes.map(i => `${label}-cmd-${i}`);
  expect(seq).toHaveLength(10);

  // First invocation: all 10 records; 0-3 applied, the checkpoint is exactly record 4, 5-9 untouched.
  const [first, ...later] = result.invocations;
  expect(first.error).toBeUndefined();
  expect(first.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq[POISON_INDEX] }] });
  expect(appliedAfter[0]).toEqual(ids([0, 1, 2, 3]));

  // Record 4 now heads its batch: the handler throws, Lambda bisects (halves are not retries)
  // until the poison is alone, then retries it 3 times; nothing new is applied meanwhile.
  const untilDiscarded = later.slice(0, 6);
  expect(untilDiscarded.map(i => i.sequenceNumbers)).toEqual([
    seq.slice(4), seq.slice(4, 7), seq.slice(4, 6), seq.slice(4, 5), seq.slice(4, 5), seq.slice(4, 5),
  ]);
  expect(untilDiscarded.map(i => i.retry)).toEqual([1, 1, 1, 1, 2, 3]);
  for (const invocation of untilDiscarded) expect(invocation.error).toBeInstanceOf(Error);
  expect(appliedAfter.slice(1, 7)).toEqual(Array(6).fill(ids([0, 1, 2, 3])));

  // Retries spent: the poison alone goes to the on-failure destination; the halves after it follow.
  expect(result.onFailure).toEqual([{
    shardId: reader.shardId, streamArn: reader.streamArn, startSequenceNumber: seq[4], endSequenceNumber: seq[4], batchSize: 1,
  }]);
  expect(later.slice(6).map(i => i.sequenceNumbers)).toEqual([seq.slice(5, 6), seq.slice(6, 7), seq.slice(7)]);
  for (const invocation of later.slice(6)) expect(invocation.response).toEqual({ batchItemFailures: [] });
  expect(result.invocations).toHaveLength(10);

  // Every good record applied exactly once, in order; never a duplicate on a retry.
  const stored = await storedEvents(tables);
  expect(stored.map(e => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(stored.map(e => e.metadata.commandId)).toEqual(ids(GOOD));
  expect(stored.map(e => e.streamId)).toEqual(Array(9).fill(`${label}-order-1`));
  expect(stored.map(e => e.data.index)).toEqual(GOOD);
  expect(logs.filter(l => l.message === 'Duplicate command: returning its first result')).toEqual([]);
  const rejected = logs.filter(l => l.message === 'Command rejected');
  // The poison was tried in the first invocation and the 6 after it, and rejected each time.
  expect(rejected.map(l => l.itemIdentifier)).toEqual(Array(7).fill(seq[POISON_INDEX]));
  expect(rejected.map(l => l.errorType)).toEqual(Array(7).fill('InvalidCommandError'));
  expect(logs.filter(l => l.message === 'Command failed')).toEqual([]);
}

test('Kinesis: checkpoint at the first failed record, poison to on-failure after 3 retries, the rest applied once', async () => {
  const kinesis = new AwsJsonClient(moto.endpoint, KINESIS);
  const streamName = 'commands-kinesis';
  await kinesis.send('CreateStream', { StreamName: streamName, ShardCount: 1 });
  const putSequenceNumbers: string[] = [];
  for (const { index, ...envelope } of commands('kin')) {
    const data = Buffer.from(JSON.stringify({ ...envelope, data: { index } })).toString('base64');
    const put = await kinesis.send('PutRecord', { StreamName: streamName, PartitionKey: 'order-1', Data: data });
    putSequenceNumbers.push(put.SequenceNumber);
  }
  const { StreamDescription: description } = await kinesis.send('DescribeStream', { StreamName: streamName });
  expect(description.Shards).toHaveLength(1);
  const reader = await kinesisShardReader(kinesis, streamName, description.Shards[0].ShardId);

  const kinesisRun = await run('kin', reader);
  expect(kinesisRun.result.invocations[0].sequenceNumbers).toEqual(putSequenceNumbers);
  await expectCheckpointSemantics('kin', reader, kinesisRun);
});

test('DynamoDB Streams: checkpoint at the first failed record (dynamodb.SequenceNumber), same outcome', async () => {
  const table = 'commands-source';
  await ddb.send(new CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  }));
  // The new image is the command: envelope fields at the top level, the whole document as data.
  for (const envelope of commands('ddb')) {
    await ddb.send(new PutItemCommand({ TableName: table, Item: marshall({ pk: envelope.commandId, ...envelope }) }));
  }
  const streamArn = (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table!.LatestStreamArn!;
  const streams = new AwsJsonClient(moto.endpoint, DYNAMODB_STREAMS);
  const { StreamDescription: description } = await streams.send('DescribeStream', { StreamArn: streamArn });
  expect(description.Shards).toHaveLength(1);
  const reader = dynamoDbShardReader(streams, streamArn, description.Shards[0].ShardId);

  const ddbRun = await run('ddb', reader);
  const firstBatch = (await reader.read({ type: 'TRIM_HORIZON' }, 100)).map(r => r.record as Record<string, any>);
  expect(firstBatch.map(r => r.eventName)).toEqual(Array(10).fill('INSERT'));
  expect(firstBatch.map(r => r.dynamodb.SequenceNumber)).toEqual(ddbRun.result.invocations[0].sequenceNumbers);
  await expectCheckpointSemantics('ddb', reader, ddbRun);
});
