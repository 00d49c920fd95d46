/**
 * The query handler against moto: single projections (200/404), pages with opaque tokens,
 * rejected input (400), direct invocations, and errors that tell nothing about internals.
 * It runs with the query table only: no event store in its environment.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmulator, stopEmulator } from './emulator';
import { captureOutput } from './fixtures';
import { createQueryTable, queryRequest } from './projector-fixtures';
import { handler } from '../../lambda-templates/query-handler';
import { projectionToItem, readModelClient, type Projection } from '../../lambda-templates/shared/read-model';

let ddb: DynamoDBClient;
let table: string;
const projections: Projection[] = Array.from({ length: 60 }, (_, i) => ({
  id: `Order#${i}`,
  version: i + 1,
  state: { n: i, lines: [{ sku: `s${i}` }], customer: { name: `c${i}` } },
  updatedAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
}));

beforeAll(async () => {
  ({ ddb } = await startEmulator());
  for (const name of ['EVENT_STORE_TABLE', 'COMMAND_TABLE', 'SNAPSHOT_TABLE']) delete process.env[name];
  table = await createQueryTable(ddb, 'query');
  process.env.QUERY_TABLE = table;
  for (const p of projections) await ddb.send(new PutItemCommand({ TableName: table, Item: projectionToItem(p) }));
});

afterAll(async () => {
  readModelClient().destroy();
  await stopEmulator();
});

async function get(path: string, query?: Record<string, string>, method = 'GET') {
  const out = await captureOutput(() => handler(queryRequest(path, query, method)) as Promise<any>);
  if (out.error) throw out.error;
  return { statusCode: out.result.statusCode as number, headers: out.result.headers, body: JSON.parse(out.result.body), lines: out.lines };
}

async function direct(payload: unknown) {
  const out = await captureOutput(() => handler(payload));
  if (out.error) throw out.error;
  return out.result as any;
}

describe('GET /queries/{id}', () => {
  test('200 with the projection', async () => {
    const response = await get(`/queries/${encodeURIComponent('Order#7')}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual(projections[7]);
  });

  test('404 for an unknown id', async () => {
    const response = await get('/queries/Order%23999');
    expect(response.statusCode).toBe(404);
    expect(response.body).toEqual({ error: 'NotFound', message: expect.stringContaining('Order#999') });
  });

  test('405 for another method', async () => {
    expect((await get('/queries/Order%231', undefined, 'DELETE')).statusCode).toBe(405);
  });
});

describe('GET /queries', () => {
  test('pages of 25 list every projection exactly once', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const response = await get('/queries', { limit: '25', ...(nextToken ? { nextToken } : {}) });
      expect(response.statusCode).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(25);
      seen.push(...response.body.items.map((p: Projection) => p.id));
      nextToken = response.body.nextToken;
      if (nextToken) expect(nextToken).toMatch(/^[A-Za-z0-9_-]+$/);
      pages++;
    } while (nextToken && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(projections.map(p => p.id).sort());
  });

  test('the default page holds 25 items, each a whole projection', async () => {
    const response = await get('/queries');
    expect(response.body.items).toHaveLength(25);
    const byId = new Map(projections.map(p => [p.id, p]));
    for (const item of response.body.items) expect(item).toEqual(byId.get(item.id));
  });

  test.each([['0'], ['101'], ['abc'], ['2.5'], ['-1']])('400 for limit=%s', async (limit) => {
    const response = await get('/queries', { limit });
    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({ error: 'BadRequest', message: expect.stringContaining('limit') });
  });

  test.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['another key', Buffer.from(JSON.stringify({ pk: 'x' })).toString('base64url')],
    ['an empty id', Buffer.from(JSON.stringify({ id: '' })).toString('base64url')],
  ])('400 for a nextToken that is %s', async (_what, nextToken) => {
    const response = await get('/queries', { nextToken });
    expect(response.statusCode).toBe(400);
    expect(response.body.error).toBe('BadRequest');
  });
});

describe('direct invocation', () => {
  test('{ id } returns the projection or null', async () => {
    expect(await direct({ id: 'Order#3' })).toEqual(projections[3]);
    expect(await direct({ id: 'nope' })).toBeNull();
  });

  test('{ limit, nextToken } returns pages', async () => {
    const first = await direct({ limit: 40 });
    const second = await direct({ limit: 40, nextToken: first.nextToken });
    expect(first.items).toHaveLength(40);
    expect(second.items).toHaveLength(20);
    expect(second.nextToken).toBeUndefined();
    expect(new Set([...first.items, ...second.items].map((p: Projection) => p.id)).size).toBe(60);
  });

  test('invalid input is an InvalidQueryError', async () => {
    await expect(direct({ id: 3 })).rejects.toMatchObject({ name: 'InvalidQueryError' });
    await expect(direct({ limit: 1000 })).rejects.toMatchObject({ name: 'InvalidQueryError' });
    await expect(direct({ sql: 'select' })).rejects.toMatchObject({ name: 'InvalidQueryError' });
  });
});

describe('failures', () => {
  afterEach(() => { process.env.QUERY_TABLE = table; });

  test('a failing read answers 500 with a request id and no internals', async () => {
    process.env.QUERY_TABLE = 'no-such-table';
    const response = await get('/queries/Order%231');
    expect(response.statusCode).toBe(500);
    expect(response.body).toEqual({ error: 'InternalError', message: expect.any(String), requestId: expect.any(String) });
    expect(JSON.stringify(response.body)).not.toMatch(/no-such-table|ResourceNotFound|\bat .*\.js/);
    expect(response.lines.join('\n')).toContain('ResourceNotFound'); // logged for the operator
  });

  test('a failing direct query throws a plain error', async () => {
    process.env.QUERY_TABLE = 'no-such-table';
    const error = await direct({ id: 'x' }).catch(e => e);
    expect(error.message).toMatch(/could not be processed/);
    expect(error.message).not.toMatch(/no-such-table/);
  });
});
