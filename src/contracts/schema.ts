/**
 * The building blocks of the API's response contracts (ADR 0009). Each response is declared once
 * with TypeBox: the declaration is the JSON Schema the OpenAPI document publishes and the
 * contract test validates real responses against, and `Type.Static` gives the TypeScript type the
 * service's mapper returns and the web app reads. Nothing here imports Nest, so the web app can.
 *
 * The document is OpenAPI 3.0 (what @nestjs/swagger writes), whose schemas know `nullable` but not
 * `type: 'null'` nor `const`: these helpers write the 3.0 forms, which Ajv also understands.
 */
import Type from 'typebox';

export { Type };
export type Static<T extends Type.TSchema> = Type.Static<T>;

/** A value or null: `nullable: true` (and `null` among the values of an enumeration). */
export function Nullable<T extends Type.TSchema>(schema: T): Type.TUnsafe<Type.Static<T> | null> {
  const values = (schema as { enum?: unknown[] }).enum;
  return Type.Unsafe<Type.Static<T> | null>({
    ...schema,
    nullable: true,
    ...(values === undefined ? {} : { enum: [...values, null] }),
  });
}

/** One of a few strings, as `enum` (OpenAPI 3.0 has no `const`, so no union of literals). */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: { description?: string } = {},
): Type.TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** A JSON array that the server's code holds as a read-only array. */
export function List<T extends Type.TSchema>(
  items: T,
  options: { description?: string } = {},
): Type.TUnsafe<readonly Type.Static<T>[]> {
  return Type.Unsafe<readonly Type.Static<T>[]>(Type.Array(items, options));
}

/** An RFC 3339 instant; views keep the offset of the place where the event states one. */
export function DateTime(description?: string): Type.TString {
  return Type.String({ format: 'date-time', ...(description === undefined ? {} : { description }) });
}

/** A ledger index or another count: a non-negative integer. */
export function Index(description?: string): Type.TInteger {
  return Type.Integer({ minimum: 0, ...(description === undefined ? {} : { description }) });
}

/** Lower-case hex, e.g. a SHA-256 or an RFC 6962 hash. */
export function Hex(description?: string): Type.TString {
  return Type.String({ pattern: '^[0-9a-f]+$', ...(description === undefined ? {} : { description }) });
}

/** A page of a list: the entries under `key` and the cursor of the next page (null on the last). */
export function Page<K extends string, T extends Type.TSchema>(key: K, entry: T, title: string) {
  return Type.Object(
    {
      [key]: List(entry),
      nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' })),
    } as { [P in K]: Type.TUnsafe<readonly Type.Static<T>[]> } & {
      nextCursor: Type.TUnsafe<string | null>;
    },
    { title },
  );
}
