/**
 * The pure parts of the templates: envelope validation, the fold, DynamoDB item sizes, event
 * items, configuration and source recognition. No emulator needed.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  apiGatewayEvent, dynamoDbStreamRecord, eventBridgeEvent, kinesisRecord, snsEvent, snsNotification, sqsRecord,
} from './fixtures';
import { storeConfig } from './tables';
import { configFromEnv } from '../../lambda-templates/shared/config';
import { parseCommandEnvelope } from '../../lambda-templates/shared/envelope';
import { CommandTooLargeError, InvalidCommandError, isCommandError } from '../../lambda-templates/shared/errors';
import { buildCommandItems } from '../../lambda-templates/shared/event-items';
import { applyPatch, foldEvents } from '../../lambda-templates/shared/fold';
import { attributeValueSize, itemSize, numberSize } from '../../lambda-templates/shared/item-size';
import { recordsOf } from '../../lambda-templates/shared/sources';

const tables = { events: 'e', snapshots: 's', commands: 'c' };

describe('command envelope', () => {
  test('a single-event command', () => {
    expect(parseCommandEnvelope({ commandId: 'c1', streamId: 'Order#1', type: 'OrderPlaced', data: { total: 3 }, expectedVersion: 0 })).toEqual({
      commandId: 'c1',
      streamId: 'Order#1',
      type: 'OrderPlaced',
      expectedVersion: 0,
      metadata: {},
      events: [{ type: 'OrderPlaced', data: { total: 3 }, schemaVersion: 1, metadata: {} }],
    });
  });

  test('a multi-event command', () => {
    const envelope = parseCommandEnvelope({
      commandId: 'c1',
      streamId: 's',
      metadata: { correlationId: 'x' },
      events: [{ type: 'A', data: { a: 1 } }, { type: 'B', schemaVersion: 2, metadata: { m: 1 } }],
    });
    expect(envelope.events).toEqual([
      { type: 'A', data: { a: 1 }, schemaVersion: 1, metadata: {} },
      { type: 'B', data: {}, schemaVersion: 2, metadata: { m: 1 } },
    ]);
    expect(envelope.metadata).toEqual({ correlationId: 'x' });
  });

  test('defaults from the source fill what the envelope leaves out, and only that', () => {
    expect(parseCommandEnvelope({ streamId: 's', data: {} }, { commandId: 'msg-1', type: 'DetailType' }))
      .toMatchObject({ commandId: 'msg-1', type: 'DetailType' });
    expect(parseCommandEnvelope({ commandId: 'own', streamId: 's', type: 'Own' }, { commandId: 'msg-1', type: 'DetailType' }))
      .toMatchObject({ commandId: 'own', type: 'Own' });
  });

  test.each([
    [42, 'the command must be a JSON object, got 42'],
    [[], 'the command must be a JSON object, got []'],
    [{ commandId: 'c', streamId: 42, type: 'T' }, 'streamId must be a non-empty string, got 42'],
    [{ commandId: '', streamId: 's', type: 'T' }, 'commandId must be a non-empty string, got ""'],
    [{ streamId: 's', type: 'T' }, 'commandId must be a non-empty string, got undefined'],
    [{ commandId: 'c', streamId: 's' }, 'type must be a non-empty string, got undefined'],
    [{ commandId: 'c', streamId: 's', type: 'T', data: [1] }, 'data must be a JSON object, got [1]'],
    [{ commandId: 'c', streamId: 's', type: 'T', expectedVersion: 1.5 }, 'expectedVersion must be an integer >= 0 (0 = a new stream), got 1.5'],
    [{ commandId: 'c', streamId: 's', type: 'T', expectedVersion: '3' }, 'expectedVersion must be an integer >= 0 (0 = a new stream), got "3"'],
    [{ commandId: 'c', streamId: 's', type: 'T', metadata: 'm' }, 'metadata must be a JSON object, got "m"'],
    [{ commandId: 'c', streamId: 's', type: 'T', expectedVerison: 3 }, 'the command has unknown field(s) expectedVerison; allowed: commandId, streamId, type, data, schemaVersion, expectedVersion, metadata, events'],
    [{ commandId: 'c', streamId: 's', events: [] }, 'events must be a non-empty array, got []'],
    [{ commandId: 'c', streamId: 's', events: [{ type: 'A' }, { data: {} }] }, 'events[1].type must be a non-empty string, got undefined'],
    [{ commandId: 'c', streamId: 's', events: [{ type: 'A', schemaVersion: 0 }] }, 'events[0].schemaVersion must be an integer >= 1, got 0'],
    [{ commandId: 'c', streamId: 's', type: 'T', data: {}, events: [{ type: 'A' }] }, 'give either events or data/schemaVersion, not both'],
    [{ commandId: 'c'.repeat(1025), streamId: 's', type: 'T' }, 'commandId must be at most 1024 bytes, got 1025'],
  ])('%j is rejected: %s', (input, message) => {
    expect(() => parseCommandEnvelope(input)).toThrow(new InvalidCommandError(message));
  });

  test('long values are shortened in messages', () => {
    expect(() => parseCommandEnvelope({ commandId: 'c', streamId: { x: 'y'.repeat(500) }, type: 'T' }))
      .toThrow(/^streamId must be a non-empty string, got \{"x":"y+\.\.\.$/);
  });
});

describe('fold', () => {
  test('deep merge: objects merge, null removes, arrays and scalars replace', () => {
    const state = { a: 1, nested: { keep: true, drop: 'x', deeper: { n: 1 } }, list: [1, 2], gone: 'soon' };
    const next = applyPatch(state, { nested: { drop: null, deeper: { m: 2 } }, list: [3], gone: null, added: { z: null, y: 1 } });
    expect(next).toEqual({ a: 1, nested: { keep: true, deeper: { n: 1, m: 2 } }, list: [3], added: { y: 1 } });
  });

  test('pure: the inputs are unchanged', () => {
    const state = { nested: { a: 1 } };
    const patch = { nested: { b: 2 } };
    applyPatch(state, patch);
    expect(state).toEqual({ nested: { a: 1 } });
    expect(patch).toEqual({ nested: { b: 2 } });
  });

  test('a scalar replaced by an object, and the order of events matters', () => {
    expect(foldEvents({}, [{ data: { x: 1 } }, { data: { x: { y: 2 } } }, { data: { x: { z: 3 } } }])).toEqual({ x: { y: 2, z: 3 } });
    expect(foldEvents({}, [{ data: { x: { z: 3 } } }, { data: { x: 1 } }])).toEqual({ x: 1 });
  });
});

describe('DynamoDB item size', () => {
  test.each([
    [{ S: 'héllo' }, 6],
    [{ N: '0' }, 1],
    [{ N: '12' }, 2],
    [{ N: '123' }, 3],
    [{ N: '-123' }, 4],
    [{ N: '1000' }, 2],
    [{ N: '0.000123' }, 3],
    [{ BOOL: true }, 1],
    [{ NULL: true }, 1],
    [{ B: new Uint8Array(10) }, 10],
    [{ SS: ['a', 'bc'] }, 3],
    [{ L: [{ S: 'ab' }, { N: '1' }] }, 3 + (1 + 2) + (1 + 2)],
    [{ M: { k: { S: 'v' } } }, 3 + 1 + 1 + 1],
    [{ M: {} }, 3],
  ])('%j is %i bytes', (value, size) => {
    expect(attributeValueSize(value as never)).toBe(size);
  });

  test('an item counts attribute names in UTF-8', () => {
    expect(itemSize({ streamId: { S: 'abc' }, ünï: { S: '' } })).toBe(8 + 3 + 5);
    expect(numberSize('1.5e+10')).toBe(2);
  });
});

describe('event items', () => {
  const envelope = (extra: Record<string, unknown> = {}) => parseCommandEnvelope({
    commandId: 'c1', streamId: 's', type: 'Placed', data: { customerId: 'cu-1', amount: 12, nested: { customerId: 'x' } }, ...extra,
  });

  test('GSI attributes: scalars are copied from data; objects and contract attributes are not', () => {
    const items = buildCommandItems(
      parseCommandEnvelope({ commandId: 'c', streamId: 's', type: 'T', data: { customerId: 'cu-1', amount: 12, region: { eu: true }, version: 99 } }),
      4, storeConfig(tables, { gsiKeyAttributes: ['customerId', 'amount', 'region', 'version'] }));
    expect(items.events[0]).toMatchObject({ version: 5, customerId: 'cu-1', amount: 12 });
    expect(items.events[0]).not.toHaveProperty('region');
    expect(items.result).toEqual({ streamId: 's', version: 5, eventIds: [items.events[0].eventId] });
  });

  test('metadata: the command id, correlation and causation defaults; the command type for multi-event commands', () => {
    const single = buildCommandItems(envelope({ metadata: { causationId: 'cause' } }), 0, storeConfig(tables));
    expect(single.events[0].metadata).toEqual({ commandId: 'c1', correlationId: 'c1', causationId: 'cause' });
    const multi = buildCommandItems(
      parseCommandEnvelope({ commandId: 'c2', streamId: 's', type: 'PlaceOrder', events: [{ type: 'Placed', metadata: { commandId: 'spoof' } }] }),
      0, storeConfig(tables));
    expect(multi.events[0].metadata).toEqual({ commandId: 'c2', correlationId: 'c2', causationId: 'c2', commandType: 'PlaceOrder' });
  });

  test('the command record: result, 30-day expiry', () => {
    const now = new Date('2030-01-01T00:00:00.000Z');
    const items = buildCommandItems(envelope(), 7, storeConfig(tables, { eventTtlSeconds: 60 }), now);
    expect(items.commandItem).toEqual(marshall({
      commandId: 'c1', streamId: 's', result: items.result, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: now.getTime() / 1000 + 30 * 86400,
    }));
    expect(items.events[0]).toMatchObject({ version: 8, timestamp: '2030-01-01T00:00:00.000Z', expiresAt: now.getTime() / 1000 + 60 });
  });

  test('a transaction over 4 MB is too large even when each item fits', () => {
    const events = Array.from({ length: 11 }, () => ({ type: 'Big', data: { blob: 'z'.repeat(390 * 1024) } }));
    expect(() => buildCommandItems(parseCommandEnvelope({ commandId: 'c', streamId: 's', events }), 0, storeConfig(tables)))
      .toThrow(/one transaction holds at most 4194304 bytes/);
  });

  test('errors carry their status and type, also seen from another module copy', () => {
    const error = new CommandTooLargeError('x');
    expect(error).toMatchObject({ name: 'CommandTooLargeError', errorType: 'CommandTooLargeError', statusCode: 413 });
    expect(isCommandError(error)).toBe(true);
    expect(isCommandError(Object.assign(new Error('y'), { errorType: 'X', statusCode: 400, toResponseBody: () => ({}) }))).toBe(true);
    expect(isCommandError(new Error('z'))).toBe(false);
  });
});

describe('configuration from the environment', () => {
  const base = { EVENT_STORE_TABLE: 'events', COMMAND_TABLE: 'commands' };

  test('defaults and parsing', () => {
    expect(configFromEnv({ ...base, SERVICE_NAME: 'orders', GSI_KEY_ATTRIBUTES: ' customerId, ,region ', EVENT_TTL_SECONDS: '86400' })).toEqual({
      serviceName: 'orders',
      eventTable: 'events',
      commandTable: 'commands',
      snapshotTable: undefined,
      snapshotFrequency: 0,
      eventTtlSeconds: 86400,
      gsiKeyAttributes: ['customerId', 'region'],
    });
  });

  test('snapshots need both a table and a frequency', () => {
    expect(configFromEnv({ ...base, SNAPSHOT_TABLE: 'snaps', SNAPSHOT_FREQUENCY: '100' })).toMatchObject({ snapshotTable: 'snaps', snapshotFrequency: 100 });
    expect(configFromEnv({ ...base, SNAPSHOT_TABLE: 'snaps', SNAPSHOT_FREQUENCY: '0' })).toMatchObject({ snapshotTable: undefined, snapshotFrequency: 0 });
    expect(configFromEnv({ ...base, SNAPSHOT_FREQUENCY: '10' })).toMatchObject({ snapshotTable: undefined, snapshotFrequency: 0 });
  });

  test('missing and malformed variables are named', () => {
    expect(() => configFromEnv({ COMMAND_TABLE: 'c' })).toThrow('environment variable EVENT_STORE_TABLE is not set');
    expect(() => configFromEnv({ ...base, SNAPSHOT_FREQUENCY: 'ten' })).toThrow('environment variable SNAPSHOT_FREQUENCY must be an integer >= 0, got "ten"');
  });
});

describe('sources', () => {
  const command = { streamId: 's-1', type: 'T', data: { a: 1 } };

  test('API Gateway (REST proxy, and base64 bodies)', () => {
    const batch = recordsOf(apiGatewayEvent({ commandId: 'c', ...command }, { base64: true }));
    expect(batch.kind).toBe('apiGateway');
    expect(batch.records[0].envelope()).toMatchObject({ commandId: 'c', streamId: 's-1' });
    expect(() => recordsOf(apiGatewayEvent(command)).records[0].envelope()).toThrow(/^commandId is required in an API request/);
    expect(() => recordsOf({ ...apiGatewayEvent(null), body: null }).records[0].envelope()).toThrow('the request body is empty; expected a JSON command');
  });

  test('EventBridge: detail as envelope, or as data with defaults', () => {
    const asData = eventBridgeEvent('Shipped', { streamId: 's-1', parcel: 'p' });
    expect(recordsOf(asData).records[0].envelope()).toMatchObject({
      commandId: asData.id, type: 'Shipped', events: [{ type: 'Shipped', data: { streamId: 's-1', parcel: 'p' } }],
    });
    const asEnvelope = eventBridgeEvent('Shipped', { commandId: 'own', ...command });
    expect(recordsOf(asEnvelope).records[0].envelope()).toMatchObject({ commandId: 'own', type: 'T', events: [{ data: { a: 1 } }] });
    expect(() => recordsOf(eventBridgeEvent('X', 'text')).records[0].envelope()).toThrow('the EventBridge detail must be a JSON object, got "text"');
  });

  test('SQS: plain body, SNS notification body, EventBridge event body; FIFO detected', () => {
    const batch = recordsOf({
      Records: [
        sqsRecord('m1', command),
        sqsRecord('m2', snsNotification('sns-2', command)),
        sqsRecord('m3', eventBridgeEvent('Redriven', { streamId: 's-1' })),
      ],
    });
    expect(batch).toMatchObject({ kind: 'sqs', fifo: false });
    expect(batch.records.map(r => r.itemIdentifier)).toEqual(['m1', 'm2', 'm3']);
    expect(batch.records.map(r => r.envelope().commandId)).toEqual(['m1', 'sns-2', expect.stringMatching(/^eb-/)]);
    expect(recordsOf({ Records: [{ ...sqsRecord('f', command), eventSourceARN: 'arn:aws:sqs:us-east-1:1:q.fifo' }] }).fifo).toBe(true);
  });

  test('SNS, Kinesis and DynamoDB Streams', () => {
    expect(recordsOf(snsEvent('n-1', command)).records[0]).toMatchObject({ itemIdentifier: 'n-1' });
    expect(recordsOf(snsEvent('n-1', command)).records[0].envelope().commandId).toBe('n-1');

    const kinesis = recordsOf({ Records: [kinesisRecord('49', command)] });
    expect(kinesis.kind).toBe('kinesis');
    expect(kinesis.records[0].itemIdentifier).toBe('49');
    expect(kinesis.records[0].envelope().commandId).toBe('shardId-000000000000:49');

    const ddb = recordsOf({ Records: [dynamoDbStreamRecord('7', { streamId: { S: 's-9' }, type: { S: 'Restocked' }, qty: { N: '2' } })] });
    expect(ddb.kind).toBe('dynamodbStream');
    expect(ddb.records[0].itemIdentifier).toBe('7');
    expect(ddb.records[0].envelope()).toMatchObject({
      commandId: 'ddb-7', streamId: 's-9', type: 'Restocked', events: [{ type: 'Restocked', data: { streamId: 's-9', type: 'Restocked', qty: 2 } }],
    });
  });

  test('DynamoDB Streams: a changed item without a streamId is an event of its own item', () => {
    const keys = { sku: { S: 'A1' }, region: { S: 'eu' } };
    const record = dynamoDbStreamRecord('8', { ...keys, qty: { N: '5' } }) as Record<string, any>;
    const change = { ...record, eventName: 'MODIFY', dynamodb: { ...record.dynamodb, Keys: keys } };
    expect(recordsOf({ Records: [change] }).records[0].envelope()).toMatchObject({
      commandId: 'ddb-8', streamId: 'other#region=eu&sku=A1', events: [{ type: 'MODIFY', data: { sku: 'A1', region: 'eu', qty: 5 } }],
    });
    const removed = { ...change, eventName: 'REMOVE', dynamodb: { SequenceNumber: '9', Keys: keys } };
    expect(() => recordsOf({ Records: [removed] }).records[0].envelope()).toThrow(/has no item image: give the source table a NEW_IMAGE or NEW_AND_OLD_IMAGES stream/);
  });

  test('direct invocation: the payload is the envelope', () => {
    const batch = recordsOf({ commandId: 'd-1', ...command });
    expect(batch.kind).toBe('direct');
    expect(batch.records[0].envelope()).toMatchObject({ commandId: 'd-1' });
    expect(() => recordsOf({ Records: [{ eventSource: 'aws:s3' }] }).records[0].envelope()).toThrow(/unknown field\(s\) Records/);
  });
});
