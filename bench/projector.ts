/**
 * Projector benchmark on the emulator: throughput (events/s) of the built-in projector, warm
 * (it remembers the projections it wrote) and cold (it forgets them before every batch), as a
 * ratio against a baseline that writes each event's resulting projection with one plain
 * UpdateItem, no read and no check; and DynamoDB requests per event. All three run in the same
 * process on the same stream records (batches of 100 as Lambda delivers them), alternating,
 * median of a few rounds. Figures only: nothing here asserts, except that all three end with
 * identical projections.
 *
 *   npx ts-node --project bench/tsconfig.json bench/projector.ts [streams] [eventsPerStream]
 */
import { randomUUID } from 'node:crypto';
import { PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { handler as projector } from '../lambda-templates/projector';
import { clearProjectionCache } from '../lambda-templates/projector/projection-store';
import { parseCommandEnvelope } from '../lambda-templates/shared/envelope';
import { buildCommandItems } from '../lambda-templates/shared/event-items';
import { applyPatch, type State } from '../lambda-templates/shared/fold';
import { readModelClient } from '../lambda-templates/shared/read-model';
import { requestCounterOf, type RequestCounter } from '../lambda-templates/shared/request-counter';
import { captureOutput } from '../test/runtime/fixtures';
import { startMoto } from '../test/runtime/moto';
import { createQueryTable, readStreamRecords, streamBatches } from '../test/runtime/projector-fixtures';
import { createEventStoreTables, emulatorClient, scanAll, storeConfig } from '../test/runtime/tables';

export interface ProjectorBenchOptions {
  /** @default 50 */
  readonly streams?: number;
  /** @default 20 */
  readonly eventsPerStream?: number;
  /** Rounds of (warm, cold, baseline); the median is reported. @default 3 */
  readonly rounds?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

export interface ProjectorBenchRow {
  readonly name: 'projector (warm)' | 'projector (cold)' | 'baseline';
  readonly eventsPerSecond: number;
  /** Throughput divided by the baseline's. */
  readonly ratio: number;
  readonly requestsPerEvent: number;
  /** Requests of the last round, by operation. */
  readonly requests: Record<string, number>;
}

export interface ProjectorBenchResult {
  readonly events: number;
  readonly batches: number;
  readonly rows: ProjectorBenchRow[];
  /** True when every variant ended with the same projections. */
  readonly identical: boolean;
}

type Variant = { readonly name: ProjectorBenchRow['name']; readonly counter: RequestCounter; readonly run: (table: string) => Promise<void> };

/** Streams projected at once by the baseline, as the projector does. */
const BASELINE_CONCURRENCY = 16;

export async function benchProjector(options: ProjectorBenchOptions = {}): Promise<ProjectorBenchResult> {
  const { streams = 50, eventsPerStream = 20, rounds = 3, log = console.log } = options;
  const moto = await startMoto();
  const savedEnv = { ...process.env };
  const ddb = emulatorClient(moto.endpoint);
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_SERVICE_NAME: 'bench',
      POWERTOOLS_METRICS_NAMESPACE: 'Bench',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    const tables = await createEventStoreTables(ddb, 'bench');
    const config = storeConfig(tables);
    // Round-robin over the streams, as independent aggregates interleave in a real shard. The
    // event store's own items, but put one by one: moto deep-copies every table on each
    // TransactWriteItems, so 1000 appends through the event-store client take minutes.
    for (let v = 1; v <= eventsPerStream; v++) {
      await Promise.all(Array.from({ length: streams }, async (_, s) => {
        const command = parseCommandEnvelope({ commandId: randomUUID(), streamId: `Order#${s}`, type: 'OrderChanged', data: eventData(s, v) });
        for (const Item of buildCommandItems(command, v - 1, config).eventItems) {
          await ddb.send(new PutItemCommand({ TableName: tables.events, Item, ConditionExpression: 'attribute_not_exists(streamId)' }));
        }
      }));
    }
    const batches = streamBatches(await readStreamRecords(moto.endpoint, ddb, tables.events), 100);
    const events = batches.reduce((n, b) => n + b.Records.length, 0);

    const baselineClient = emulatorClient(moto.endpoint);
    const variants: Variant[] = [
      { name: 'projector (warm)', counter: requestCounterOf(readModelClient()), run: () => runProjector(batches, false) },
      { name: 'projector (cold)', counter: requestCounterOf(readModelClient()), run: () => runProjector(batches, true) },
      { name: 'baseline', counter: requestCounterOf(baselineClient), run: table => runBaseline(baselineClient, table, batches) },
    ];
    const seconds = new Map<string, number[]>(variants.map(v => [v.name, []]));
    const requests = new Map<string, Record<string, number>>();
    const finalTables: string[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const table = await createQueryTable(ddb, 'bench');
        process.env.QUERY_TABLE = table;
        clearProjectionCache();
        variant.counter.reset();
        const started = process.hrtime.bigint();
        await variant.run(table);
        seconds.get(variant.name)!.push(Number(process.hrtime.bigint() - started) / 1e9);
        requests.set(variant.name, variant.counter.snapshot());
        if (round === rounds - 1) finalTables.push(table);
      }
    }
    baselineClient.destroy();

    const snapshots = await Promise.all(finalTables.map(async t => JSON.stringify((await scanAll(ddb, t))
      .map(({ id, version, state }) => ({ id, version, state })).sort((a, b) => a.id.localeCompare(b.id)))));
    const identical = snapshots.every(s => s === snapshots[0]);
    const rate = (name: string) => events / median(seconds.get(name)!);
    const rows = variants.map((v): ProjectorBenchRow => {
      const counts = requests.get(v.name)!;
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return { name: v.name, eventsPerSecond: rate(v.name), ratio: rate(v.name) / rate('baseline'), requestsPerEvent: total / events, requests: counts };
    });

    log(`projector bench: ${streams} streams x ${eventsPerStream} events = ${events} events in ${batches.length} batches, median of ${rounds} rounds, moto`);
    for (const r of rows) {
      log(`  ${r.name.padEnd(17)} ${r.eventsPerSecond.toFixed(0).padStart(6)} events/s  x${r.ratio.toFixed(2)} vs baseline  `
        + `${r.requestsPerEvent.toFixed(2)} requests/event  ${JSON.stringify(r.requests)}`);
    }
    log(`  projections identical across variants: ${identical}`);
    return { events, batches: batches.length, rows, identical };
  } finally {
    ddb.destroy();
    await moto.stop();
    process.env = savedEnv;
  }
}

function eventData(stream: number, version: number): State {
  return {
    status: `step-${version}`,
    total: stream * 100 + version,
    lines: [{ sku: `sku-${version}`, qty: version % 3 + 1 }],
    customer: { id: `c-${stream}`, ...(version % 4 === 0 ? { tier: 'gold' } : {}) },
    note: version % 5 === 0 ? null : `note ${version}`,
  };
}

/** Batches in order, one after the other, as Lambda delivers one shard. */
async function runProjector(batches: readonly DynamoDBStreamEvent[], cold: boolean): Promise<void> {
  const out = await captureOutput(async () => {
    for (const batch of batches) {
      if (cold) clearProjectionCache();
      const { batchItemFailures } = await projector(batch);
      if (batchItemFailures.length) throw new Error(`the projector reported ${batchItemFailures.length} failures`);
    }
  });
  if (out.error) throw out.error;
}

/** One UpdateItem per event with the state folded in memory: no read, no condition. */
async function runBaseline(client: DynamoDBClient, table: string, batches: readonly DynamoDBStreamEvent[]): Promise<void> {
  const states = new Map<string, State>();
  for (const batch of batches) {
    const byStream = new Map<string, Record<string, any>[]>();
    for (const record of batch.Records) {
      const event = unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>);
      byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
    }
    const queue = [...byStream.values()];
    await Promise.all(Array.from({ length: BASELINE_CONCURRENCY }, async () => {
      for (let events = queue.shift(); events; events = queue.shift()) {
        for (const event of events) {
          const state = applyPatch(states.get(event.streamId) ?? {}, event.data);
          states.set(event.streamId, state);
          await client.send(new UpdateItemCommand({
            TableName: table,
            Key: { id: { S: event.streamId } },
            UpdateExpression: 'SET #state = :state, #version = :version, updatedAt = :updatedAt',
            ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
            ExpressionAttributeValues: marshall({ ':state': state, ':version': event.version, ':updatedAt': new Date().toISOString() }),
          }));
        }
      }
    }));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (require.main === module) {
  const [streams, eventsPerStream] = process.argv.slice(2).map(Number);
  benchProjector({ streams: streams || undefined, eventsPerStream: eventsPerStream || undefined }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
