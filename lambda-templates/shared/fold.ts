/**
 * The built-in fold (DESIGN §4): an aggregate's state is the deep merge of its events' `data`,
 * in version order. Objects merge key by key, a `null` value removes the key, and anything
 * else (arrays included) replaces the previous value. Pure: inputs are never modified.
 */

export type State = Record<string, unknown>;

function isMergeable(value: unknown): value is State {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `state` with `patch` deep-merged into it. */
export function applyPatch(state: State, patch: State): State {
  const next: State = { ...state };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete next[key];
    } else if (isMergeable(value)) {
      const current = next[key];
      next[key] = applyPatch(isMergeable(current) ? current : {}, value);
    } else {
      next[key] = value;
    }
  }
  return next;
}

/** Fold events (in order) into `state`. */
export function foldEvents(state: State, events: Iterable<{ readonly data: State }>): State {
  let result = state;
  for (const event of events) {
    result = applyPatch(result, event.data);
  }
  return result;
}
