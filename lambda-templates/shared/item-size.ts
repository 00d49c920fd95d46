/**
 * DynamoDB item size, computed the way DynamoDB bills and limits it (400 KB per item):
 * the UTF-8 length of every attribute name plus the size of every value.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** 400 KB: the largest item DynamoDB accepts. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** 4 MB: the largest aggregate size of the items of one transaction. */
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

/** Bytes of a whole item. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += utf8Length(name) + attributeValueSize(value);
  }
  return size;
}

/** Bytes of one attribute value. */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Length(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Length(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  // A list or map costs 3 bytes, plus 1 byte per element, plus its elements (and a map's keys).
  if (value.L !== undefined) {
    return value.L.reduce((sum, v) => sum + 1 + attributeValueSize(v), 3);
  }
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8Length(k) + attributeValueSize(v), 3);
  }
  throw new Error(`unknown DynamoDB attribute value type: ${Object.keys(value).join(',')}`);
}

/**
 * A number is stored as base-100 digits: about one byte per two significant digits, plus one.
 * Leading and trailing zeros are not stored; a negative number costs one byte more.
 */
export function numberSize(n: string): number {
  const text = n.trim();
  const negative = text.startsWith('-');
  const [mantissa] = text.replace(/^[-+]/, '').toLowerCase().split('e');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length === 0) return 1; // zero
  return Math.ceil(digits.length / 2) + 1 + (negative ? 1 : 0);
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
