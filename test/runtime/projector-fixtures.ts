/**
 * Read-side fixtures: the query table, the events table's stream records as Lambda delivers
 * them, and API Gateway query requests.
 *
 * `@aws-sdk/client-dynamodb-streams` is not a dependency, so the stream is read with plain
 * DynamoDB Streams JSON calls. moto routes a request by the SigV4 credential scope (the real
 * API signs as `dynamodb` too) plus the `X-Amz-Target`; it does not check signatures.
 */
import { execFile } from 'node:child_process';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

let sequence = 0;

/** A fresh query table: partition key `id` (S), no sort key, as the construct creates it. */
export async function createQueryTable(client: DynamoDBClient, label: string): Promise<string> {
  const table = `${label}-${++sequence}-queries`;
  await client.send(new CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  return table;
}

async function streamsCall(endpoint: string, action: string, body: Record<string, unknown>): Promise<any> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDBStreams_20120810.${action}`,
      'authorization': 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-target, Signature=unchecked',
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`DynamoDB Streams ${action}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Every record of `table`'s stream so far, oldest first, in the shape Lambda delivers. */
export async function readStreamRecords(endpoint: string, client: DynamoDBClient, table: string): Promise<DynamoDBRecord[]> {
  const streamArn = (await client.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${table} has no stream`);
  const { StreamDescription } = await streamsCall(endpoint, 'DescribeStream', { StreamArn: streamArn });
  const records: DynamoDBRecord[] = [];
  for (const shard of StreamDescription.Shards ?? []) {
    let { ShardIterator: iterator } = await streamsCall(endpoint, 'GetShardIterator', {
      StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON',
    });
    for (;;) {
      const page = await streamsCall(endpoint, 'GetRecords', { ShardIterator: iterator, Limit: 1000 });
      if (!page.Records?.length) break;
      records.push(...page.Records.map((r: DynamoDBRecord) => ({ ...r, eventSourceARN: streamArn })));
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/** The records as Lambda batches of at most `size`. */
export function streamBatches(records: readonly DynamoDBRecord[], size = 100): DynamoDBStreamEvent[] {
  const batches: DynamoDBStreamEvent[] = [];
  for (let i = 0; i < records.length; i += size) batches.push({ Records: records.slice(i, i + size) });
  return batches;
}

/** A deterministic shuffle (seeded), so a failure can be replayed. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** A REST API (proxy integration) request to the query routes. */
export function queryRequest(path: string, query?: Record<string, string>, method = 'GET'): Record<string, unknown> {
  const id = /^\/queries\/(.+)$/.exec(path)?.[1];
  return {
    resource: id === undefined ? '/queries' : '/queries/{id}',
    path,
    httpMethod: method,
    headers: { Accept: 'application/json' },
    pathParameters: id === undefined ? null : { id: decodeURIComponent(id) },
    queryStringParameters: query ?? null,
    requestContext: { requestId: `req-${++sequence}`, stage: 'prod', httpMethod: method, resourcePath: path },
    isBase64Encoded: false,
    body: null,
  };
}

/** Run a bundled handler on `event` in a fresh Node.js process (a cold function); its logs are dropped. */
export function invokeBundle(path: string, event: unknown): Promise<any> {
  const script = `require(${JSON.stringify(path)}).handler(JSON.parse(process.argv[1]), { awsRequestId: 'bundle-test' })`
    + '.then(r => process.stdout.write("\\nRESULT " + JSON.stringify(r) + "\\n"), e => { console.error(e); process.exit(1); });';
  return new Promise((resolveResult, reject) => {
    execFile(process.execPath, ['-e', script, JSON.stringify(event)], { env: process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find(l => l.startsWith('RESULT '));
      if (error || !line) reject(new Error(`bundled handler failed: ${error?.message ?? 'no result'}\n${stderr}`));
      else resolveResult(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}
