/**
 * The built-in query handler: reads projections from the query table (GetItem and Scan only;
 * it has no access to the event store).
 *
 * - API Gateway (REST proxy): `GET /queries/{id}` → 200 `{ id, version, state, updatedAt }` or
 *   404; `GET /queries?limit=N&nextToken=T` → 200 `{ items, nextToken? }`; a bad limit or token
 *   → 400; anything else → 500 with a request id, never a stack trace.
 * - Direct invocation: `{ id }` → the projection or null; `{ limit?, nextToken? }` → a page.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createLogger } from '../shared/powertools';
import {
  getProjection, InvalidQueryError, parsePageSize, queryTableFromEnv, readModelClient, scanProjections,
  type Projection, type ProjectionPage,
} from '../shared/read-model';

type Query = { readonly kind: 'get'; readonly id: string } | { readonly kind: 'list'; readonly limit: number; readonly nextToken?: string };

let logger: Logger | undefined;

function getLogger(): Logger {
  return (logger ??= createLogger());
}

export async function handler(event: unknown, context?: Context): Promise<APIGatewayProxyResult | Projection | ProjectionPage | null> {
  const log = getLogger();
  if (context) log.addContext(context);
  if (isApiGatewayEvent(event)) return respondToApi(event, context);
  try {
    return await runQuery(directQuery(event)) ?? null;
  } catch (error) {
    if (error instanceof InvalidQueryError) throw error;
    log.error('Query failed', { errorType: (error as Error).name, reason: (error as Error).message });
    // A fresh error: the caller learns that it failed, not our internals.
    throw new Error(`the query could not be processed (request ${context?.awsRequestId ?? 'unknown'})`);
  }
}

async function runQuery(query: Query): Promise<Projection | ProjectionPage | undefined> {
  const table = queryTableFromEnv();
  return query.kind === 'get'
    ? getProjection(readModelClient(), table, query.id)
    : scanProjections(readModelClient(), table, query.limit, query.nextToken);
}

async function respondToApi(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId ?? context?.awsRequestId;
  try {
    const query = apiQuery(event);
    if (!query) return json(404, { error: 'NotFound', message: `no route for ${event.httpMethod} ${event.path}` });
    const result = await runQuery(query);
    if (result === undefined && query.kind === 'get') {
      return json(404, { error: 'NotFound', message: `no projection with id ${JSON.stringify(query.id)}` });
    }
    return json(200, result);
  } catch (error) {
    if (error instanceof InvalidQueryError) return json(error.statusCode, { error: 'BadRequest', message: error.message });
    if (error instanceof MethodNotAllowed) return json(405, { error: 'MethodNotAllowed', message: error.message }, { Allow: 'GET' });
    getLogger().error('Query failed', { requestId, errorType: (error as Error).name, reason: (error as Error).message });
    return json(500, { error: 'InternalError', message: 'the query could not be processed; it is safe to retry', requestId });
  }
}

class MethodNotAllowed extends Error {}

/** The query of a request to `/queries` or `/queries/{id}`; undefined for any other path. */
function apiQuery(event: APIGatewayProxyEvent): Query | undefined {
  const route = routeOf(event);
  if (!route) return undefined;
  if (event.httpMethod !== 'GET') throw new MethodNotAllowed(`${event.httpMethod} is not allowed here; use GET`);
  if (route.id !== undefined) {
    if (route.id === '') throw new InvalidQueryError('the id in /queries/{id} must not be empty');
    return { kind: 'get', id: route.id };
  }
  const params = event.queryStringParameters ?? {};
  const nextToken = params.nextToken;
  return { kind: 'list', limit: parsePageSize(params.limit), nextToken: nextToken === undefined || nextToken === '' ? undefined : nextToken };
}

function routeOf(event: APIGatewayProxyEvent): { id?: string } | undefined {
  if (event.resource?.endsWith('/queries/{id}')) return { id: event.pathParameters?.id ?? '' };
  if (event.resource?.endsWith('/queries')) return {};
  // Without a resource (a proxy+ route, a test): match the path.
  const match = /\/queries(?:\/([^/]*))?\/?$/.exec(event.path ?? '');
  if (!match) return undefined;
  return match[1] === undefined ? {} : { id: event.pathParameters?.id ?? safeDecode(match[1]) };
}

function directQuery(event: unknown): Query {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidQueryError('a direct invocation takes { id } or { limit?, nextToken? }');
  }
  const input = event as Record<string, unknown>;
  if ('id' in input) {
    if (typeof input.id !== 'string' || input.id === '') throw new InvalidQueryError(`id must be a non-empty string, got ${JSON.stringify(input.id)}`);
    return { kind: 'get', id: input.id };
  }
  const unknown = Object.keys(input).filter(k => k !== 'limit' && k !== 'nextToken');
  if (unknown.length) throw new InvalidQueryError(`unknown field(s) ${unknown.join(', ')}; a direct invocation takes { id } or { limit?, nextToken? }`);
  const nextToken = input.nextToken;
  if (nextToken !== undefined && nextToken !== null && typeof nextToken !== 'string') {
    throw new InvalidQueryError('nextToken must be the string a previous page returned');
  }
  return { kind: 'list', limit: parsePageSize(input.limit), nextToken: typeof nextToken === 'string' && nextToken !== '' ? nextToken : undefined };
}

function isApiGatewayEvent(event: unknown): event is APIGatewayProxyEvent {
  const e = event as Partial<APIGatewayProxyEvent> | null;
  return typeof e === 'object' && e !== null && typeof e.httpMethod === 'string' && typeof e.requestContext === 'object';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
