/**
 * The event-store client and the command handler, run against moto in server mode (no mocks
 * of the AWS SDK): contiguous versions, optimistic concurrency, idempotency, limits checked
 * before writing, snapshots, every source shape, and the bundled artifact.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmulator, stopEmulator } from './emulator';
import {
  apiGatewayEvent, captureOutput, dynamoDbStreamRecord, eventBridgeEvent, jsonLines, kinesisRecord, lambdaContext,
  snsEvent, snsNotification, sqsRecord,
} from './fixtures';
import type { Moto } from './moto';
import { createEventStoreTables, emulatorClient, handlerEnvironment, scanAll, storeConfig, type EventStoreTables } from './tables';
import { handler } from '../../lambda-templates/command-handler';
import { parseCommandEnvelope } from '../../lambda-templates/shared/envelope';
import { CommandTooLargeError, ConcurrencyConflictError } from '../../lambda-templates/shared/errors';
import { EventStoreClient, type EventStoreClientOptions } from '../../lambda-templates/shared/event-store-client';
import { foldEvents } from '../../lambda-templates/shared/fold';
import { bundlesAreFresh, bundleTemplates, HANDLERS_DIR } from '../../scripts/bundle-templates';

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let moto: Moto;
let ddb: DynamoDBClient;

beforeAll(async () => {
  ({ moto, ddb } = await startEmulator());
});

afterAll(async () => {
  await stopEmulator();
});

interface StoreOptions extends Partial<EventStoreClientOptions> {
  readonly ttl?: number;
  readonly gsi?: string[];
  readonly snapshotEvery?: number;
}

/** A client with its own DynamoDB client (and so its own request counter) on `tables`. */
function storeFor(tables: EventStoreTables, options: StoreOptions = {}) {
  const { ttl, gsi, snapshotEvery, ...rest } = options;
  return new EventStoreClient({
    dynamodb: emulatorClient(moto.endpoint),
    config: storeConfig(tables, {
      eventTtlSeconds: ttl,
      gsiKeyAttributes: gsi ?? [],
      ...(snapshotEvery ? { snapshotTable: tables.snapshots, snapshotFrequency: snapshotEvery } : {}),
    }),
    ...rest,
  });
}

function command(commandId: string, streamId: string, events: number | Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const list = typeof events === 'number'
    ? Array.from({ length: events }, (_, i) => ({ type: `Item${i}Added`, data: { index: i, customerId: 'cust-7', line: { sku: `sku-${i}`, qty: i + 1 } } }))
    : events;
  return parseCommandEnvelope({ commandId, streamId, events: list, ...extra });
}

async function streamItems(table: string, streamId: string): Promise<Record<string, any>[]> {
  return (await scanAll(ddb, table)).filter(i => i.streamId === streamId).sort((a, b) => a.version - b.version);
}

describe('append', () => {
  let tables: EventStoreTables;
  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'append', { gsiPartitionKey: 'customerId' });
  });

  test.each([1, 2, 50, 99])('a command of %i event(s) appends contiguous versions, shaped per the contract', async (n) => {
    const store = storeFor(tables, { ttl: 3600, gsi: ['customerId', 'missingAttribute'] });
    const before = Math.floor(Date.now() / 1000);
    const result = await store.append(command(`cmd-${n}`, `order-${n}`, n, { metadata: { correlationId: 'corr-1', tenant: 'acme' } }));
    const after = Math.floor(Date.now() / 1000);

    expect(result.streamId).toBe(`order-${n}`);
    expect(result.version).toBe(n);
    expect(new Set(result.eventIds).size).toBe(n);
    const items = await streamItems(tables.events, `order-${n}`);
    expect(items.map(i => i.version)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    items.forEach((item, i) => {
      expect(item.eventId).toBe(result.eventIds[i]);
      expect(item.eventId).toMatch(UUID);
      expect(item.eventType).toBe(`Item${i}Added`);
      expect(item.schemaVersion).toBe(1);
      expect(item.data).toEqual({ index: i, customerId: 'cust-7', line: { sku: `sku-${i}`, qty: i + 1 } });
      expect(item.metadata).toEqual({ commandId: `cmd-${n}`, correlationId: 'corr-1', causationId: `cmd-${n}`, tenant: 'acme' });
      expect(item.timestamp).toMatch(ISO_UTC);
      expect(item.expiresAt).toBeGreaterThanOrEqual(before + 3600);
      expect(item.expiresAt).toBeLessThanOrEqual(after + 3600);
      expect(item.customerId).toBe('cust-7');
      expect(item).not.toHaveProperty('missingAttribute');
    });
    const record = (await scanAll(ddb, tables.commands)).find(c => c.commandId === `cmd-${n}`);
    expect(record?.result).toEqual(result);
  });

  test('a user GSI indexes the events through the copied key attribute', async () => {
    const page = await ddb.send(new QueryCommand({
      TableName: tables.events,
      IndexName: 'by-customerId',
      KeyConditionExpression: 'customerId = :c',
      ExpressionAttributeValues: { ':c': { S: 'cust-7' } },
    }));
    expect(page.Count).toBe(1 + 2 + 50 + 99);
  });

  test('later commands continue the version; without a TTL there is no expiresAt; schemaVersion is kept', async () => {
    const store = storeFor(tables);
    const result = await store.append(parseCommandEnvelope({
      commandId: 'cmd-next', streamId: 'order-2', type: 'OrderShipped', data: { carrier: 'ups' }, schemaVersion: 3, expectedVersion: 2,
    }));
    expect(result.version).toBe(3);
    const items = await streamItems(tables.events, 'order-2');
    expect(items.map(i => i.version)).toEqual([1, 2, 3]);
    expect(items[2]).toMatchObject({ eventType: 'OrderShipped', schemaVersion: 3, data: { carrier: 'ups' } });
    expect(items[2]).not.toHaveProperty('expiresAt');
    expect(items[2]).not.toHaveProperty('customerId');
  });
});

describe('optimistic concurrency', () => {
  let tables: EventStoreTables;
  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'race');
  });

  test('20 concurrent writers with the same expectedVersion: exactly one wins, 19 conflict', async () => {
    const store = storeFor(tables);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, w) => store.append(command(`race-ev-${w}`, 'race-1', [
      { type: 'Reserved', data: { writer: w } },
      { type: 'Confirmed', data: { writer: w } },
    ], { expectedVersion: 0 }))));

    const winners = outcomes.flatMap(o => (o.status === 'fulfilled' ? [o.value] : []));
    const losers = outcomes.flatMap(o => (o.status === 'rejected' ? [o.reason] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const error of losers) {
      expect(error).toBeInstanceOf(ConcurrencyConflictError);
      expect(error).toMatchObject({ streamId: 'race-1', expectedVersion: 0, actualVersion: 2, statusCode: 409 });
    }
    const items = await streamItems(tables.events, 'race-1');
    expect(items.map(i => i.version)).toEqual([1, 2]);
    expect(items.map(i => i.eventId)).toEqual(winners[0].eventIds);
    expect(new Set(items.map(i => i.data.writer)).size).toBe(1);
  });

  test('20 concurrent writers without expectedVersion: all appended, versions 1..20 exactly once', async () => {
    const store = storeFor(tables);
    const results = await Promise.all(Array.from({ length: 20 }, (_, w) => store.append(parseCommandEnvelope({
      commandId: `race-free-${w}`, streamId: 'race-2', type: 'Counted', data: { [`writer${w}`]: true },
    }))));

    expect(results.map(r => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const items = await streamItems(tables.events, 'race-2');
    expect(items.map(i => i.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(items.map(i => i.metadata.commandId).sort()).toEqual(results.map((_, w) => `race-free-${w}`).sort());
    expect(new Set(items.map(i => i.eventId))).toEqual(new Set(results.flatMap(r => r.eventIds)));
    expect((await store.load('race-2')).state).toEqual(Object.fromEntries(results.map((_, w) => [`writer${w}`, true])));
    // Losing a race costs a retry, never an event: more transactions than commands were needed.
    expect(store.requests.count('TransactWriteItems')).toBeGreaterThan(20);
  });
});

describe('idempotency', () => {
  let tables: EventStoreTables;
  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'idem');
  });

  test('a repeated commandId (sequential) appends once and returns the first result', async () => {
    const store = storeFor(tables);
    const first = await store.append(command('idem-seq', 'idem-1', 3));
    store.requests.reset();
    const second = await store.execute(command('idem-seq', 'idem-1', 3));
    expect(second).toMatchObject({ duplicate: true, result: first });
    expect(store.requests.snapshot()).toEqual({ GetItem: 1 });
    const retriedElsewhere = await store.append(command('idem-seq', 'another-stream', 1));
    expect(retriedElsewhere).toEqual(first);
    expect((await streamItems(tables.events, 'idem-1')).map(i => i.version)).toEqual([1, 2, 3]);
    expect(await streamItems(tables.events, 'another-stream')).toEqual([]);
  });

  test.each([
    ['without expectedVersion', {}],
    ['with expectedVersion 0', { expectedVersion: 0 }],
  ])('a repeated commandId (10 concurrent deliveries, %s) appends once; every delivery gets the same result', async (label, extra) => {
    const store = storeFor(tables);
    const streamId = `idem-conc-${label.length}`;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.execute(command(`idem-conc-${label}`, streamId, 3, extra))));
    const first = outcomes.find(o => !o.duplicate)!;
    expect(outcomes.filter(o => !o.duplicate)).toHaveLength(1);
    for (const o of outcomes) expect(o.result).toEqual(first.result);
    const items = await streamItems(tables.events, streamId);
    expect(items.map(i => i.version)).toEqual([1, 2, 3]);
    expect(items.map(i => i.eventId)).toEqual(first.result.eventIds);
  });
});

describe('limits are checked before any write', () => {
  let tables: EventStoreTables;
  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'limits');
  });

  test('a 100-event command is rejected without a request', async () => {
    const store = storeFor(tables);
    await expect(store.append(command('too-many', 'limits-1', 100))).rejects.toThrow(CommandTooLargeError);
    await expect(store.append(command('too-many', 'limits-1', 100))).rejects.toThrow(/at most 99 events.*got 100/);
    expect(store.requests.count()).toBe(0);
    expect(await scanAll(ddb, tables.events)).toEqual([]);
    expect(await scanAll(ddb, tables.commands)).toEqual([]);
  });

  test('an event over 400 KB is rejected with no write call; the table is unchanged', async () => {
    const store = storeFor(tables);
    await store.append(command('small', 'limits-2', 1));
    const before = await scanAll(ddb, tables.events);
    store.requests.reset();
    const huge = [{ type: 'Small', data: { n: 1 } }, { type: 'Huge', data: { blob: 'x'.repeat(400 * 1024) } }];
    const error = await store.append(command('huge', 'limits-2', huge)).catch(e => e);
    expect(error).toBeInstanceOf(CommandTooLargeError);
    expect(error.message).toMatch(/event 1 \(Huge\) is 4\d{5} bytes.*limit is 409600 bytes/);
    expect(store.requests.writes()).toBe(0);
    expect(store.requests.count('TransactWriteItems')).toBe(0);
    expect(await scanAll(ddb, tables.events)).toEqual(before);
    expect((await scanAll(ddb, tables.commands)).map(c => c.commandId)).toEqual(['small']);
  });

  test('an event just under the limit is accepted', async () => {
    const store = storeFor(tables);
    const result = await store.append(command('big', 'limits-3', [{ type: 'Big', data: { blob: 'y'.repeat(390 * 1024) } }]));
    expect(result.version).toBe(1);
    expect((await streamItems(tables.events, 'limits-3'))[0].data.blob).toHaveLength(390 * 1024);
  });
});

describe('snapshots', () => {
  const frequency = 10;
  let tables: EventStoreTables;
  let stored: Record<string, any>[];
  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'snap');
    const store = storeFor(tables, { snapshotEvery: frequency });
    for (let v = 1; v <= 95; v++) {
      const data: Record<string, unknown> = { count: v, [`bucket${v % 7}`]: { last: v, [`seen${v}`]: true }, tags: [v, v * 2] };
      if (v % 9 === 0) data[`bucket${(v + 1) % 7}`] = null;
      await store.append(parseCommandEnvelope({ commandId: `snap-${v}`, streamId: 'snap-1', type: 'Changed', data }));
    }
    stored = await streamItems(tables.events, 'snap-1');
  });

  test('with SNAPSHOT_FREQUENCY=10, a load after 95 events reads at most 10 events past the snapshot', async () => {
    const loaded = await storeFor(tables, { snapshotEvery: frequency }).load('snap-1');
    expect(loaded.version).toBe(95);
    expect(loaded.snapshotVersion).toBe(90);
    expect(loaded.eventsRead).toBeLessThanOrEqual(frequency);
    expect(loaded.eventsRead).toBe(5);
    expect(loaded.state).toEqual(foldEvents({}, stored as { data: Record<string, unknown> }[]));
    expect(loaded.state.count).toBe(95);
  });

  test('snapshots live in the snapshot table only, one per multiple of the frequency', async () => {
    const snapshots = await scanAll(ddb, tables.snapshots);
    expect(snapshots.map(s => s.version).sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const at50 = snapshots.find(s => s.version === 50)!;
    expect(at50.state).toEqual(foldEvents({}, stored.slice(0, 50) as { data: Record<string, unknown> }[]));
    expect(stored).toHaveLength(95);
    expect(stored.every(i => i.eventType === 'Changed' && !('state' in i))).toBe(true);
  });

  test('with snapshots off, a load reads every event and folds the same state', async () => {
    const withSnapshots = await storeFor(tables, { snapshotEvery: frequency }).load('snap-1');
    const without = await storeFor(tables).load('snap-1');
    expect(without).toMatchObject({ version: 95, eventsRead: 95, snapshotVersion: 0 });
    expect(without.state).toEqual(withSnapshots.state);
  });

  test('a failed snapshot write is logged and never fails the command', async () => {
    const warnings: Record<string, unknown>[] = [];
    const store = storeFor(tables, { snapshotEvery: 2, logger: { warn: (message, extra) => warnings.push({ message, ...extra }) } });
    // Each event fits in an item; their folded state (about 500 KB) does not, so the snapshot write fails.
    await store.append(parseCommandEnvelope({ commandId: 'snap-big-1', streamId: 'snap-2', type: 'Changed', data: { a: 'a'.repeat(250_000) } }));
    const result = await store.append(parseCommandEnvelope({ commandId: 'snap-big-2', streamId: 'snap-2', type: 'Changed', data: { b: 'b'.repeat(250_000) } }));
    expect(result.version).toBe(2);
    expect(warnings).toEqual([expect.objectContaining({ message: expect.stringMatching(/^Snapshot write failed/), streamId: 'snap-2', version: 2 })]);
    expect((await scanAll(ddb, tables.snapshots)).filter(s => s.streamId === 'snap-2')).toEqual([]);
    const loaded = await store.load('snap-2');
    expect(loaded).toMatchObject({ version: 2, eventsRead: 2, snapshotVersion: 0 });
    expect(Object.keys(loaded.state)).toEqual(['a', 'b']);
  });
});

describe('command handler, through each source', () => {
  let tables: EventStoreTables;
  beforeAll(async () => {
    tables = await createEventStoreTables(ddb, 'handler');
    Object.assign(process.env, handlerEnvironment(tables));
  });

  const invoke = (event: unknown) => captureOutput(() => handler(event, lambdaContext()) as Promise<any>);

  test('API Gateway: 201 with the result, and the duplicate is replayed', async () => {
    const body = { commandId: 'api-1', streamId: 'api-order-1', type: 'OrderPlaced', data: { total: 42 } };
    const { result, lines } = await invoke(apiGatewayEvent(body));
    expect(result.statusCode).toBe(201);
    expect(result.headers['Content-Type']).toBe('application/json');
    const created = JSON.parse(result.body);
    expect(created).toMatchObject({ streamId: 'api-order-1', version: 1 });
    expect(created.eventIds).toHaveLength(1);
    const emf = jsonLines(lines).find(l => l._aws);
    expect(emf).toMatchObject({ CommandsAccepted: 1, EventsAppended: 1, service: 'test-service' });
    expect(emf?._aws.CloudWatchMetrics[0].Namespace).toBe('TestService');

    const again = await invoke(apiGatewayEvent(body, { base64: true }));
    expect(again.result.statusCode).toBe(201);
    expect(again.result.headers['Idempotent-Replayed']).toBe('true');
    expect(JSON.parse(again.result.body)).toEqual(created);
    expect(jsonLines(again.lines).find(l => l._aws)).toMatchObject({ DuplicateCommands: 1 });
    expect(await streamItems(tables.events, 'api-order-1')).toHaveLength(1);
  });

  test('API Gateway: 400 for malformed commands, logged by error type and never with the payload', async () => {
    const missingId = await invoke(apiGatewayEvent({ streamId: 's', type: 'T', data: { secret: 'PAYLOAD-MARKER-1' } }));
    expect(missingId.result.statusCode).toBe(400);
    expect(JSON.parse(missingId.result.body)).toEqual({ errorType: 'InvalidCommandError', message: expect.stringMatching(/^commandId is required/) });
    const logs = jsonLines(missingId.lines);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'Command rejected', errorType: 'InvalidCommandError' }));
    expect(missingId.lines.join('\n')).not.toContain('PAYLOAD-MARKER-1');
    expect(jsonLines(missingId.lines).find(l => l._aws)).toMatchObject({ CommandsRejected: 1 });

    const badStream = await invoke(apiGatewayEvent({ commandId: 'c', streamId: 42, type: 'T', data: {} }));
    expect(badStream.result.statusCode).toBe(400);
    expect(JSON.parse(badStream.result.body).message).toBe('streamId must be a non-empty string, got 42');

    const notJson = await invoke(apiGatewayEvent('{"commandId": ', { raw: true }));
    expect(notJson.result.statusCode).toBe(400);
    expect(JSON.parse(notJson.result.body).message).toMatch(/^the request body is not valid JSON/);

    const badVersion = await invoke(apiGatewayEvent({ commandId: 'c', streamId: 's', type: 'T', expectedVersion: -1 }));
    expect(JSON.parse(badVersion.result.body).message).toBe('expectedVersion must be an integer >= 0 (0 = a new stream), got -1');
  });

  test('API Gateway: 409 on a version conflict, 413 on a command too large, 500 without internals', async () => {
    await invoke(apiGatewayEvent({ commandId: 'api-c1', streamId: 'api-order-2', type: 'OrderPlaced', data: {} }));
    const conflict = await invoke(apiGatewayEvent({ commandId: 'api-c2', streamId: 'api-order-2', type: 'OrderPlaced', data: {}, expectedVersion: 0 }));
    expect(conflict.result.statusCode).toBe(409);
    expect(JSON.parse(conflict.result.body)).toMatchObject({
      errorType: 'ConcurrencyConflictError', streamId: 'api-order-2', expectedVersion: 0, actualVersion: 1,
    });
    expect(jsonLines(conflict.lines).find(l => l._aws)).toMatchObject({ VersionConflicts: 1 });

    const events = Array.from({ length: 100 }, () => ({ type: 'LineAdded', data: {} }));
    const tooLarge = await invoke(apiGatewayEvent({ commandId: 'api-c3', streamId: 'api-order-3', events }));
    expect(tooLarge.result.statusCode).toBe(413);
    expect(JSON.parse(tooLarge.result.body).errorType).toBe('CommandTooLargeError');

    process.env.EVENT_STORE_TABLE = 'no-such-table';
    try {
      const broken = await invoke(apiGatewayEvent({ commandId: 'api-c4', streamId: 'api-order-4', type: 'OrderPlaced', data: {} }));
      expect(broken.result.statusCode).toBe(500);
      const body = JSON.parse(broken.result.body);
      expect(body).toEqual({ errorType: 'InternalError', message: expect.any(String), requestId: expect.stringMatching(/^aws-req-/) });
      expect(broken.result.body).not.toMatch(/no-such-table|ResourceNotFound|\bat .*\.js/);
      expect(jsonLines(broken.lines)).toContainEqual(expect.objectContaining({ level: 'ERROR', errorType: 'ResourceNotFoundException' }));
    } finally {
      process.env.EVENT_STORE_TABLE = tables.events;
    }
  });

  test('SQS: a malformed record fails alone; an SNS notification in a body is unwrapped', async () => {
    const event = {
      Records: [
        sqsRecord('m1', { streamId: 'sqs-1', type: 'Added', data: { a: 1 } }),
        sqsRecord('m2', '{not json', true),
        sqsRecord('m3', snsNotification('sns-msg-9', { streamId: 'sqs-1', type: 'Added', data: { b: 2 } })),
        sqsRecord('m4', { streamId: 'sqs-1', type: 'Added', data: { c: 3 }, unknownField: true }),
      ],
    };
    const { result } = await invoke(event);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm4' }] });
    const items = await streamItems(tables.events, 'sqs-1');
    expect(items.map(i => [i.version, i.metadata.commandId, i.data])).toEqual([[1, 'm1', { a: 1 }], [2, 'sns-msg-9', { b: 2 }]]);
  });

  test('SQS FIFO: after a failure the rest of the batch is reported too, keeping the order', async () => {
    const fifo = (r: Record<string, unknown>) => ({ ...r, eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:commands.fifo' });
    const { result } = await invoke({
      Records: [
        fifo(sqsRecord('f1', { streamId: 'fifo-1', type: 'A', data: {} })),
        fifo(sqsRecord('f2', { streamId: 'fifo-1', type: 'B', data: {}, expectedVersion: 7 })),
        fifo(sqsRecord('f3', { streamId: 'fifo-1', type: 'C', data: {} })),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'f2' }, { itemIdentifier: 'f3' }] });
    expect((await streamItems(tables.events, 'fifo-1')).map(i => i.eventType)).toEqual(['A']);
  });

  test('Kinesis: the first failure is the checkpoint; later records are not applied', async () => {
    const { result } = await invoke({
      Records: [
        kinesisRecord('4950001', { streamId: 'kin-1', type: 'A', data: { n: 1 } }),
        kinesisRecord('4950002', { streamId: 'kin-1', type: 'B', data: { n: 2 } }),
        kinesisRecord('4950003', { streamId: 'kin-1', type: 'C', data: { n: 3 }, expectedVersion: 0 }),
        kinesisRecord('4950004', { streamId: 'kin-1', type: 'D', data: { n: 4 } }),
        kinesisRecord('4950005', 'garbage', true),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '4950003' }] });
    const items = await streamItems(tables.events, 'kin-1');
    expect(items.map(i => i.eventType)).toEqual(['A', 'B']);
    expect(items[0].metadata.commandId).toBe('shardId-000000000000:4950001');

    // A failure at the head of the batch is thrown, so that Lambda bisects the batch.
    const malformed = await invoke({ Records: [kinesisRecord('4950006', 'garbage', true), kinesisRecord('4950007', { streamId: 'kin-2', type: 'X' })] });
    expect(malformed.result).toBeUndefined();
    expect(malformed.error).toBeInstanceOf(Error);
    expect(await streamItems(tables.events, 'kin-2')).toEqual([]);
  });

  test('DynamoDB Streams from another table: the new image is the data; the failure is the checkpoint', async () => {
    const { result } = await invoke({
      Records: [
        dynamoDbStreamRecord('100', { streamId: { S: 'ddb-1' }, sku: { S: 'A-1' }, qty: { N: '3' } }),
        dynamoDbStreamRecord('101', { sku: { S: 'no-stream-id' } }),
        dynamoDbStreamRecord('102', { streamId: { S: 'ddb-1' }, sku: { S: 'A-2' } }),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] });
    const items = await streamItems(tables.events, 'ddb-1');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ eventType: 'INSERT', data: { streamId: 'ddb-1', sku: 'A-1', qty: 3 }, metadata: { commandId: 'ddb-100' } });
  });

  test('EventBridge: detail-type is the default type, the event id the default commandId; failures throw', async () => {
    const event = eventBridgeEvent('OrderPlaced', { streamId: 'eb-order-1', orderId: 'o-1', total: 10 });
    const { result } = await invoke(event);
    expect(result).toMatchObject({ streamId: 'eb-order-1', version: 1 });
    const [item] = await streamItems(tables.events, 'eb-order-1');
    expect(item).toMatchObject({
      eventType: 'OrderPlaced',
      data: { streamId: 'eb-order-1', orderId: 'o-1', total: 10 },
      metadata: { commandId: event.id },
    });

    const envelope = await invoke(eventBridgeEvent('Ignored', { commandId: 'eb-2', streamId: 'eb-order-1', type: 'OrderPaid', data: { paid: true } }));
    expect(envelope.result).toMatchObject({ version: 2 });
    expect((await streamItems(tables.events, 'eb-order-1'))[1]).toMatchObject({ eventType: 'OrderPaid', data: { paid: true } });

    const failed = await invoke(eventBridgeEvent('OrderPlaced', { orderId: 'no stream' }));
    expect(failed.error).toMatchObject({ errorType: 'InvalidCommandError', message: 'streamId must be a non-empty string, got undefined' });
  });

  test('SNS and direct invocation return the result and throw on failure', async () => {
    const sns = await invoke(snsEvent('sns-1', { streamId: 'sns-order', type: 'Noted', data: { x: 1 } }));
    expect(sns.result).toMatchObject({ streamId: 'sns-order', version: 1 });
    expect((await streamItems(tables.events, 'sns-order'))[0].metadata.commandId).toBe('sns-1');

    const direct = await invoke({ commandId: 'direct-1', streamId: 'direct-order', type: 'Noted', data: {}, expectedVersion: 0 });
    expect(direct.result).toMatchObject({ streamId: 'direct-order', version: 1 });
    const conflict = await invoke({ commandId: 'direct-2', streamId: 'direct-order', type: 'Noted', data: {}, expectedVersion: 0 });
    expect(conflict.error).toBeInstanceOf(ConcurrencyConflictError);
  });
});

describe('the bundled artifact', () => {
  const bundlePath = join(HANDLERS_DIR, 'command-handler', 'index.js');
  let tables: EventStoreTables;
  beforeAll(async () => {
    // `npx projen test` bundles first; a bare `npx jest` bundles here when the bundle is stale.
    if (!bundlesAreFresh()) await bundleTemplates();
    tables = await createEventStoreTables(ddb, 'bundle');
    Object.assign(process.env, handlerEnvironment(tables));
  });

  // The bundle runs in a plain Node.js process, as in Lambda (the SDK's dynamic `import('node:http')`
  // needs a real module loader, which jest's sandbox does not give without --experimental-vm-modules).
  test('assets/handlers/command-handler/index.js handles an API Gateway command against the emulator', async () => {
    const created = await invokeBundle(bundlePath,
      apiGatewayEvent({ commandId: 'bundle-1', streamId: 'bundle-order', type: 'OrderPlaced', data: { total: 5 } }));
    expect(created.statusCode).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ streamId: 'bundle-order', version: 1 });
    const [item] = await streamItems(tables.events, 'bundle-order');
    expect(item).toMatchObject({ eventType: 'OrderPlaced', data: { total: 5 }, metadata: { commandId: 'bundle-1' } });

    const invalid = await invokeBundle(bundlePath, apiGatewayEvent({ streamId: 'x', type: 'T' }));
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body).errorType).toBe('InvalidCommandError');
  });
});

/** Run a bundled handler on `event` in a fresh Node.js process; its logs are dropped. */
function invokeBundle(path: string, event: unknown): Promise<any> {
  const script = `require(${JSON.stringify(path)}).handler(JSON.parse(process.argv[1]), { awsRequestId: 'bundle-test' })`
    + '.then(r => process.stdout.write("\\nRESULT " + JSON.stringify(r) + "\\n"), e => { console.error(e); process.exit(1); });';
  return new Promise((resolveResult, reject) => {
    execFile(process.execPath, ['-e', script, JSON.stringify(event)], { env: process.env }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find(l => l.startsWith('RESULT '));
      if (error || !line) reject(new Error(`bundled handler failed: ${error?.message ?? 'no result'}\n${stderr}`));
      else resolveResult(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}
