import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * Streams the rows of `COPY (…) TO STDOUT (FORMAT binary)`: bytea arrives as raw bytes (the text
 * protocol would double it into hex) and nothing is buffered beyond one network chunk. Yields the
 * rows parsed from each chunk; each row is its fields' raw bytes (null for SQL NULL).
 * Format: PostgreSQL documentation, COPY, "Binary Format".
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export async function* binaryCopyRows(
  client: pg.ClientBase,
  copySql: string,
): AsyncGenerator<Array<Array<Buffer | null>>> {
  const stream = client.query(copyTo(copySql));
  let pending: Buffer = Buffer.alloc(0);
  let headerRead = false;
  let finished = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let position = 0;
    if (!headerRead) {
      if (buffer.length < 19) {
        pending = buffer;
        continue;
      }
      if (!buffer.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      const extension = buffer.readUInt32BE(15);
      if (buffer.length < 19 + extension) {
        pending = buffer;
        continue;
      }
      position = 19 + extension;
      headerRead = true;
    }
    const rows: Array<Array<Buffer | null>> = [];
    for (;;) {
      if (finished || buffer.length - position < 2) break;
      const fieldCount = buffer.readInt16BE(position);
      if (fieldCount === -1) {
        finished = true;
        position += 2;
        break;
      }
      const row: Array<Buffer | null> = [];
      let cursor = position + 2;
      let complete = true;
      for (let field = 0; field < fieldCount; field++) {
        if (buffer.length - cursor < 4) {
          complete = false;
          break;
        }
        const length = buffer.readInt32BE(cursor);
        cursor += 4;
        if (length === -1) {
          row.push(null);
          continue;
        }
        if (buffer.length - cursor < length) {
          complete = false;
          break;
        }
        row.push(buffer.subarray(cursor, cursor + length));
        cursor += length;
      }
      if (!complete) break;
      rows.push(row);
      position = cursor;
    }
    pending = buffer.subarray(position);

    if (rows.length > 0) yield rows;
  }
  if (!headerRead || !finished) throw new Error('the binary COPY stream ended early');
}

/** A bigint (int8) field of a binary COPY row. */
export function int8(field: Buffer | null): number {
  if (field === null) throw new Error('unexpected NULL');
  return Number(field.readBigInt64BE(0));
}

/** A smallint (int2) field of a binary COPY row. */
export function int2(field: Buffer | null): number {
  if (field === null) throw new Error('unexpected NULL');
  return field.readInt16BE(0);
}
