/**
 * Apply one stream's events of a batch to its projection: at most once, in version order, the
 * consecutive run after the stored version folded into one conditional write. Versions at or
 * below the stored one are duplicates (skipped); a missing version is a gap: the events after
 * it are not applied and the stream's first unapplied record fails, to be retried.
 */
import type { ProjectionStore } from './projection-store';
import type { BatchEvent, StreamWork } from './stream-records';
import { foldEvents } from '../shared/fold';
import { MAX_ITEM_BYTES, itemSize } from '../shared/item-size';
import { projectionToItem, type Projection } from '../shared/read-model';

/** Conditional writes tried when other writers keep moving the projection. */
const MAX_WRITE_ATTEMPTS = 4;

export interface StreamOutcome {
  readonly streamId: string;
  /** Events this call applied. */
  readonly applied: number;
  /** Records skipped as already applied (or repeated in the batch). */
  readonly duplicates: number;
  /** The projection's version afterwards, as far as this call knows. */
  readonly version: number;
  /** Set when an event is missing: the version expected and the lowest one found after it. */
  readonly gap?: { readonly expected: number; readonly found: number };
  /** The batch index of the stream's first record that failed (undefined: none failed). */
  readonly failedIndex?: number;
  /** Why the write failed, when it did. */
  readonly error?: Error;
}

export async function projectStream(store: ProjectionStore, work: StreamWork, now: () => string): Promise<StreamOutcome> {
  // Records at and after a malformed one wait for it: their order depends on it.
  const candidates = work.events.filter(e => work.blockedAt === undefined || e.index < work.blockedAt);
  const ordered = [...candidates].sort((a, b) => a.event.version - b.event.version || a.index - b.index);
  let applied = 0;
  let error: Error | undefined;
  let current: Projection | undefined;
  try {
    // Version 1 starts a stream: there is nothing to read, a write with "no item yet" is the check.
    current = store.cached(work.streamId)
      ?? (ordered[0]?.event.version === 1 ? undefined : await store.load(work.streamId));
    for (let attempt = 1; ; attempt++) {
      const run = consecutiveRun(ordered, current?.version ?? 0);
      if (run.length === 0) break;
      const next = foldRun(work.streamId, current, run, now());
      const outcome = await store.replace(next, current?.version ?? 0);
      if (outcome.written) {
        applied += run.length;
        current = next;
        continue; // the run may now continue past versions another writer had applied
      }
      current = outcome.current;
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new Error(`projection ${work.streamId} kept changing during ${attempt} conditional writes`);
    }
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  return summarize(work, candidates, applied, current?.version ?? 0, error);
}

/** The events right after `version`, one per version, without a hole. */
function consecutiveRun(ordered: readonly BatchEvent[], version: number): BatchEvent[] {
  const run: BatchEvent[] = [];
  let expected = version + 1;
  for (const e of ordered) {
    if (e.event.version < expected) continue; // applied, or a repeat within the batch
    if (e.event.version > expected) break;
    run.push(e);
    expected++;
  }
  return run;
}

function foldRun(streamId: string, current: Projection | undefined, run: readonly BatchEvent[], updatedAt: string): Projection {
  const next: Projection = {
    id: streamId,
    version: run[run.length - 1].event.version,
    state: foldEvents(current?.state ?? {}, run.map(e => e.event)),
    updatedAt,
  };
  const bytes = itemSize(projectionToItem(next));
  if (bytes > MAX_ITEM_BYTES) {
    throw new Error(`projection ${streamId} at version ${next.version} would be ${bytes} bytes; a DynamoDB item holds at most ${MAX_ITEM_BYTES}`);
  }
  return next;
}

function summarize(work: StreamWork, candidates: readonly BatchEvent[], applied: number, version: number, error?: Error): StreamOutcome {
  const pending = candidates.filter(e => e.event.version > version);
  const failedIndices = pending.map(e => e.index);
  if (work.blockedAt !== undefined) failedIndices.push(work.blockedAt);
  const lowestPending = pending.length ? Math.min(...pending.map(e => e.event.version)) : undefined;
  return {
    streamId: work.streamId,
    applied,
    duplicates: candidates.length - pending.length - applied,
    version,
    gap: !error && lowestPending !== undefined && lowestPending > version + 1 ? { expected: version + 1, found: lowestPending } : undefined,
    failedIndex: failedIndices.length ? Math.min(...failedIndices) : undefined,
    error,
  };
}
