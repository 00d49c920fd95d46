import { Duration, Token } from 'aws-cdk-lib';

/**
 * Synth-time validation helpers. Every message names the prop (as the user wrote it, e.g.
 * `eventSources[1].batchSize`), the value given and what is allowed. Unresolved tokens are
 * never validated: their value is only known at deploy time.
 */

/** Throws when `value` is a number outside [min, max] or not an integer. */
export function validateIntegerRange(prop: string, value: number | undefined, min: number, max: number, unit = ''): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const suffix = unit ? ` ${unit}` : '';
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be an integer between ${min} and ${max}${suffix}, got ${value}`);
  }
}

/** Throws when a Duration is outside [min, max] (compared in milliseconds). */
export function validateDurationRange(prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) return;
  const ms = value.toMilliseconds();
  if (ms < min.toMilliseconds() || ms > max.toMilliseconds()) {
    throw new Error(`${prop} must be between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()}`);
  }
}

/** Throws when a required value is missing (jsii callers in other languages can pass null). */
export function requireValue<T>(prop: string, value: T | undefined | null, allowed: string): T {
  if (value === undefined || value === null) {
    throw new Error(`${prop} is required (${allowed}), got ${value}`);
  }
  return value;
}

const TABLE_NAME = /^[a-zA-Z0-9_.-]+$/;

/**
 * DynamoDB table names: 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'. `reservedSuffix` is
 * the longest suffix we append for companion tables, which must also fit.
 */
export function validateTableName(prop: string, value: string | undefined, reservedSuffix = ''): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const max = 255 - reservedSuffix.length;
  if (value.length < 3 || value.length > max || !TABLE_NAME.test(value)) {
    throw new Error(
      `${prop} must be 3-${max} characters of a-z, A-Z, 0-9, '_', '-' or '.'` +
      (reservedSuffix ? ` (companion tables add '${reservedSuffix}')` : '') +
      `, got '${value}'`,
    );
  }
}

/** A human string for JSON-ish values in error messages. */
export function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}
