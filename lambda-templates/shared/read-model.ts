/**
 * The read model (DESIGN §4): projection items of the query table, `{ id, version, state,
 * updatedAt }` keyed by `id` (= the event stream's id). Shared by the projector, which writes
 * them, and the query handler, which reads them (GetItem and Scan only).
 */
import { DynamoDBClient, GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { State } from './fold';

/** One projection: the fold of a stream's events up to `version`. */
export interface Projection {
  readonly id: string;
  /** Version of the last event applied. */
  readonly version: number;
  readonly state: State;
  /** ISO-8601 UTC time of the last write. */
  readonly updatedAt: string;
}

export interface ProjectionPage {
  readonly items: Projection[];
  /** Present when more items may follow: pass it back to get the next page. */
  readonly nextToken?: string;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/** A query that can never succeed as given (HTTP 400). */
export class InvalidQueryError extends Error {
  readonly errorType = 'InvalidQueryError';
  readonly statusCode = 400;

  constructor(message: string) {
    super(message);
    this.name = this.errorType;
  }
}

/** The query table, read from the environment at call time (the construct sets `QUERY_TABLE`). */
export function queryTableFromEnv(env: Record<string, string | undefined> = process.env): string {
  const table = env.QUERY_TABLE?.trim();
  if (!table) throw new Error('environment variable QUERY_TABLE is not set');
  return table;
}

let processClient: DynamoDBClient | undefined;

/** The DynamoDB client of the read-side functions: one per process, reused while warm. */
export function readModelClient(): DynamoDBClient {
  return (processClient ??= new DynamoDBClient({}));
}

export function projectionToItem(projection: Projection): Record<string, AttributeValue> {
  const { id, version, state, updatedAt } = projection;
  return marshall({ id, version, state, updatedAt }, { removeUndefinedValues: true });
}

/** The projection of an item; attributes outside the contract are dropped. */
export function projectionFromItem(item: Record<string, AttributeValue>): Projection {
  const raw = unmarshall(item);
  if (typeof raw.id !== 'string' || typeof raw.version !== 'number') {
    throw new Error(`not a projection item: id ${typeof raw.id}, version ${typeof raw.version}`);
  }
  const state = typeof raw.state === 'object' && raw.state !== null && !Array.isArray(raw.state) ? raw.state as State : {};
  return { id: raw.id, version: raw.version, state, updatedAt: typeof raw.updatedAt === 'string' ? raw.updatedAt : '' };
}

export async function getProjection(client: DynamoDBClient, table: string, id: string, consistent = false): Promise<Projection | undefined> {
  const found = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: consistent }));
  return found.Item ? projectionFromItem(found.Item) : undefined;
}

/** One page of projections, in the table's (unspecified) order. */
export async function scanProjections(client: DynamoDBClient, table: string, limit: number, nextToken?: string): Promise<ProjectionPage> {
  const page = await client.send(new ScanCommand({
    TableName: table,
    Limit: limit,
    ExclusiveStartKey: nextToken === undefined ? undefined : decodePageToken(nextToken),
  }));
  const items = (page.Items ?? []).map(projectionFromItem);
  return page.LastEvaluatedKey ? { items, nextToken: encodePageToken(page.LastEvaluatedKey) } : { items };
}

/** A page size from a query string or a direct invocation; undefined means the default. */
export function parsePageSize(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_PAGE_SIZE;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The opaque `nextToken`: the scan's LastEvaluatedKey `{ id }`, as base64url JSON. */
export function encodePageToken(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify({ id: key.id?.S }), 'utf8').toString('base64url');
}

export function decodePageToken(token: unknown): Record<string, AttributeValue> {
  const invalid = () => new InvalidQueryError('nextToken is not a token this API returned; start again without it');
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{1,2800}$/.test(token)) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const id = (key as { id?: unknown } | null)?.id;
  if (typeof key !== 'object' || key === null || Object.keys(key).length !== 1 || typeof id !== 'string' || id === '') {
    throw invalid();
  }
  return { id: { S: id } };
}
