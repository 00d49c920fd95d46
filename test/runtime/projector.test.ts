/**
 * The projector and the query handler against moto (no mocks of the AWS SDK): events appended
 * with the event-store client, the events table's real stream records fed to the projector in
 * Lambda's shape, projections read back through the query handler.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { startEmulator, stopEmulator } from './emulator';
import { captureOutput, jsonLines } from './fixtures';
import type { Moto } from './moto';
import { createQueryTable, invokeBundle, queryRequest, readStreamRecords, shuffled } from './projector-fixtures';
import { createEventStoreTables, scanAll, storeConfig, type EventStoreTables } from './tables';
import { handler as projector } from '../../lambda-templates/projector';
import { clearProjectionCache } from '../../lambda-templates/projector/projection-store';
import { handler as queryHandler } from '../../lambda-templates/query-handler';
import { parseCommandEnvelope } from '../../lambda-templates/shared/envelope';
import { EventStoreClient } from '../../lambda-templates/shared/event-store-client';
import { readModelClient } from '../../lambda-templates/shared/read-model';
import { requestCounterOf } from '../../lambda-templates/shared/request-counter';
import { bundlesAreFresh, bundleTemplates, HANDLERS_DIR } from '../../scripts/bundle-templates';

type Data = Record<string, unknown>;

let moto: Moto;
let ddb: DynamoDBClient;

beforeAll(async () => {
  ({ moto, ddb } = await startEmulator());
});

afterAll(async () => {
  readModelClient().destroy();
  await stopEmulator();
});

interface World {
  readonly tables: EventStoreTables;
  readonly store: EventStoreClient;
  readonly queryTable: string;
}

/** Fresh tables; the functions' environment points at them. */
async function world(label: string): Promise<World> {
  const tables = await createEventStoreTables(ddb, label);
  const queryTable = await createQueryTable(ddb, label);
  Object.assign(process.env, { EVENT_STORE_TABLE: tables.events, QUERY_TABLE: queryTable });
  clearProjectionCache();
  return { tables, queryTable, store: new EventStoreClient({ dynamodb: ddb, config: storeConfig(tables) }) };
}

/** One command per entry; an array entry is one command of several events. */
async function append(w: World, streamId: string, commands: (Data | Data[])[]): Promise<void> {
  for (const c of commands) {
    const events = (Array.isArray(c) ? c : [c]).map(data => ({ type: 'Changed', data }));
    await w.store.append(parseCommandEnvelope({ commandId: randomUUID(), streamId, events }));
  }
}

/** The fold the contract promises, written independently of lambda-templates/shared/fold.ts. */
function expectedState(datas: Data[]): Data {
  const merge = (into: Data, patch: Data): Data => {
    const out: Data = { ...into };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else if (typeof v === 'object' && !Array.isArray(v)) out[k] = merge(typeof out[k] === 'object' && !Array.isArray(out[k]) && out[k] ? out[k] as Data : {}, v as Data);
      else out[k] = v;
    }
    return out;
  };
  return datas.reduce(merge, {});
}

async function project(event: DynamoDBStreamEvent | DynamoDBStreamEvent[]) {
  const batches = Array.isArray(event) ? event : [event];
  const out = await captureOutput(() => Promise.all(batches.map(b => projector(b))));
  if (out.error) throw out.error;
  const metric = (name: string) => jsonLines(out.lines).filter(l => l._aws).reduce((sum, l) => sum + (l[name] ?? 0), 0);
  return { failures: out.result!.map(r => r.batchItemFailures.map(f => f.itemIdentifier)), lines: out.lines, metric };
}

async function query(id: string): Promise<{ statusCode: number; body: any }> {
  const out = await captureOutput(() => queryHandler(queryRequest(`/queries/${encodeURIComponent(id)}`)) as Promise<any>);
  if (out.error) throw out.error;
  return { statusCode: out.result.statusCode, body: JSON.parse(out.result.body) };
}

const seq = (r: DynamoDBRecord) => r.dynamodb!.SequenceNumber!;
const versionOf = (r: DynamoDBRecord) => Number(r.dynamodb!.NewImage!.version.N);
const recordsOf = (records: DynamoDBRecord[], streamId: string) => records.filter(r => r.dynamodb?.Keys?.streamId.S === streamId);
const projectionsOf = async (w: World) => (await scanAll(ddb, w.queryTable)).sort((a, b) => a.id.localeCompare(b.id));

const ORDER: (Data | Data[])[] = [
  { status: 'placed', customer: { name: 'Ada', tier: 'gold' }, lines: [{ sku: 'a', qty: 1 }], note: 'ring twice' },
  [{ lines: [{ sku: 'b', qty: 2 }] }, { customer: { tier: 'platinum' } }],
  { note: null, status: 'paid', payment: { method: 'card', amount: 12.5 } },
  { customer: { name: null }, status: 'shipped' },
];
const ORDER_STATE = { status: 'shipped', customer: { tier: 'platinum' }, lines: [{ sku: 'b', qty: 2 }], payment: { method: 'card', amount: 12.5 } };

/** Three streams of several events, appended interleaved; returns their data in order. */
async function appendThreeStreams(w: World): Promise<Record<string, Data[]>> {
  const cart = [{ items: { apple: 1 } }, { items: { pear: 2 } }, { items: { apple: null }, total: 3 }];
  const user = [{ name: 'Grace', tags: ['a', 'b'] }, { tags: ['c'] }];
  for (let i = 0; i < 4; i++) {
    await append(w, 'Order#1', [ORDER[i]]);
    if (cart[i]) await append(w, 'Cart#7', [cart[i]]);
    if (user[i]) await append(w, 'User#3', [user[i]]);
  }
  return { 'Order#1': ORDER.flat(), 'Cart#7': cart, 'User#3': user };
}

describe('projector', () => {
  test('folds appended events into projections that the query handler returns', async () => {
    const w = await world('fold');
    const expected = await appendThreeStreams(w);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    expect(records).toHaveLength(10);
    const requests = requestCounterOf(readModelClient());
    requests.reset();

    const run = await project({ Records: records });

    expect(run.failures).toEqual([[]]);
    expect(run.metric('EventsProjected')).toBe(10);
    expect(requests.count('PutItem')).toBe(3); // one write per stream per batch
    expect(expectedState(expected['Order#1'])).toEqual(ORDER_STATE);
    for (const [id, datas] of Object.entries(expected)) {
      const { statusCode, body } = await query(id);
      expect(statusCode).toBe(200);
      expect(body).toEqual({ id, version: datas.length, state: expectedState(datas), updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    }
  });

  test('a batch delivered again, or shuffled, changes nothing and reports no failure', async () => {
    const w = await world('again');
    await appendThreeStreams(w);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    await project({ Records: records });
    const before = await projectionsOf(w);
    const requests = requestCounterOf(readModelClient());

    requests.reset();
    const warm = await project({ Records: records });
    expect(warm.failures).toEqual([[]]);
    expect(requests.count()).toBe(0); // a warm function knows the versions: no request at all

    for (const batch of [records, shuffled(records), shuffled(records, 7)]) {
      clearProjectionCache(); // a cold function must find the duplicates in the table
      requests.reset();
      const run = await project({ Records: batch });
      expect(run.failures).toEqual([[]]);
      expect(run.metric('DuplicateEventsSkipped')).toBe(10);
      expect(run.metric('EventsProjected')).toBe(0);
      expect(requests.count()).toBeLessThanOrEqual(3); // one read or one refused conditional write per stream
      expect(await projectionsOf(w)).toEqual(before); // updatedAt included: nothing was rewritten
    }
  });

  test('a shuffled first delivery yields the same projections', async () => {
    const w = await world('shuffle');
    const expected = await appendThreeStreams(w);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    const run = await project({ Records: shuffled(records, 3) });
    expect(run.failures).toEqual([[]]);
    for (const [id, datas] of Object.entries(expected)) {
      expect((await query(id)).body).toMatchObject({ version: datas.length, state: expectedState(datas) });
    }
  });

  test('concurrent deliveries of one batch apply every event exactly once', async () => {
    const w = await world('race');
    const expected = await appendThreeStreams(w);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    const run = await project([{ Records: records }, { Records: records }, { Records: shuffled(records) }]);
    expect(run.failures).toEqual([[], [], []]);
    expect(run.metric('EventsProjected')).toBe(10);
    expect(run.metric('DuplicateEventsSkipped')).toBe(20);
    for (const [id, datas] of Object.entries(expected)) {
      expect((await query(id)).body).toMatchObject({ version: datas.length, state: expectedState(datas) });
    }
  });

  test('a gap fails the stream at its next record; other streams are applied; the retry completes it', async () => {
    const w = await world('gap');
    const a = [{ n: 1 }, { n: 2 }, { n: 3 }];
    const b = [{ m: 1 }, { m: 2 }, { m: 3 }];
    for (let i = 0; i < 3; i++) {
      await append(w, 'A', [a[i]]);
      await append(w, 'B', [b[i]]);
      await append(w, 'C', [{ c: i }]);
    }
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    const missingA2 = recordsOf(records, 'A').find(r => versionOf(r) === 2)!;
    const missingC1 = recordsOf(records, 'C').find(r => versionOf(r) === 1)!;
    const delivered = records.filter(r => r !== missingA2 && r !== missingC1);

    const run = await project({ Records: delivered });

    const a3 = recordsOf(records, 'A').find(r => versionOf(r) === 3)!;
    const c2 = recordsOf(records, 'C').find(r => versionOf(r) === 2)!;
    expect(run.failures).toEqual([[seq(a3), seq(c2)].sort((x, y) => records.findIndex(r => seq(r) === x) - records.findIndex(r => seq(r) === y))]);
    expect(run.metric('ProjectionGaps')).toBe(2);
    expect((await query('A')).body).toMatchObject({ version: 1, state: { n: 1 } });
    expect((await query('B')).body).toMatchObject({ version: 3, state: { m: 3 } });
    expect((await query('C')).statusCode).toBe(404);

    // Lambda retries from the lowest reported record; here every record comes back.
    const retry = await project({ Records: records });
    expect(retry.failures).toEqual([[]]);
    expect((await query('A')).body).toMatchObject({ version: 3, state: { n: 3 } });
    expect((await query('C')).body).toMatchObject({ version: 3, state: { c: 2 } });
    expect(retry.metric('DuplicateEventsSkipped')).toBe(4); // A1, B1..B3
  });

  test('a poison record fails alone: its stream stops there, other streams are applied', async () => {
    const w = await world('poison');
    for (let i = 1; i <= 3; i++) {
      await append(w, 'A', [{ a: i }]);
      await append(w, 'B', [{ b: i }]);
    }
    await append(w, 'C', [{ c: 1 }]);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    const b2 = recordsOf(records, 'B').find(r => versionOf(r) === 2)!;
    const c1 = recordsOf(records, 'C')[0];
    const poisoned: DynamoDBRecord = { ...b2, dynamodb: { ...b2.dynamodb, NewImage: { ...b2.dynamodb!.NewImage, data: { M: { x: { BOGUS: 'y' } as any } } } } };
    const noImage: DynamoDBRecord = { ...c1, dynamodb: { ...c1.dynamodb, NewImage: undefined } };
    const expiry: DynamoDBRecord = { ...records[0], eventName: 'REMOVE', dynamodb: { ...records[0].dynamodb, SequenceNumber: '9', NewImage: undefined } };
    const batch = [...records.map(r => (r === b2 ? poisoned : r === c1 ? noImage : r)), expiry];

    const run = await project({ Records: batch });

    expect(run.failures).toEqual([[seq(b2), seq(c1)]]);
    expect(jsonLines(run.lines).filter(l => l.message === 'Malformed event record').map(l => l.streamId)).toEqual(['B', 'C']);
    expect((await query('A')).body).toMatchObject({ version: 3, state: { a: 3 } });
    expect((await query('B')).body).toMatchObject({ version: 1, state: { b: 1 } }); // B3 waits behind the poison
    expect((await query('C')).statusCode).toBe(404);

    const retry = await project({ Records: batch.slice(batch.indexOf(poisoned)) });
    expect(retry.failures).toEqual([[seq(b2), seq(c1)]]);
    expect((await query('B')).body.version).toBe(1);
  });

  test('a projection that would exceed 400 KB fails its stream only', async () => {
    const w = await world('large');
    await append(w, 'Big', [{ blob: 'x'.repeat(300_000) }, { blob2: 'y'.repeat(150_000) }]);
    await append(w, 'Small', [{ ok: true }]);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    const run = await project({ Records: records });
    expect(run.failures).toEqual([[seq(recordsOf(records, 'Big')[0])]]);
    expect((await query('Small')).body.state).toEqual({ ok: true });
  });
});

describe('the bundled artifacts', () => {
  beforeAll(async () => {
    // `npx projen test` bundles first; a bare `npx jest` bundles here when a bundle is stale.
    if (!bundlesAreFresh()) await bundleTemplates();
  });

  test('assets/handlers/projector and query-handler project and serve a stream', async () => {
    const w = await world('bundle');
    await append(w, 'Order#1', ORDER);
    const records = await readStreamRecords(moto.endpoint, ddb, w.tables.events);
    const projectorBundle = join(HANDLERS_DIR, 'projector', 'index.js');
    expect(await invokeBundle(projectorBundle, { Records: records.slice(0, 2) })).toEqual({ batchItemFailures: [] });
    // A fresh process knows nothing: the redelivered records are found applied in the table.
    expect(await invokeBundle(projectorBundle, { Records: records })).toEqual({ batchItemFailures: [] });

    const response = await invokeBundle(join(HANDLERS_DIR, 'query-handler', 'index.js'), queryRequest('/queries/Order%231'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ id: 'Order#1', version: 5, state: ORDER_STATE });
  });
});
