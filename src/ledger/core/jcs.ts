/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a ledger entry that is stored,
 * hashed into the Merkle tree and verified offline.
 *
 * Primitives are serialised as ECMAScript's JSON.stringify does (which is what JCS specifies:
 * Number::toString for numbers, the minimal escapes for strings); object members are sorted by
 * their names' UTF-16 code units. Values JSON cannot represent faithfully (non-finite numbers,
 * bigint, functions, symbols, lone surrogates, cycles, Maps, class instances) are refused rather
 * than silently dropped or changed: an evidence record must mean what its producer meant.
 *
 * Dependency-free (node:buffer only) so the offline verifier canonicalises exactly as the service.
 */
import { Buffer } from 'node:buffer';

/** A value cannot be canonicalised; `path` says where (`$` is the root, e.g. `$.data.items[2]`). */
export class CanonicalizationError extends Error {
  override readonly name = 'CanonicalizationError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

// String.prototype.isWellFormed is ES2024 (Node ≥ 20); the project's lib is ES2023.
interface WellFormedString {
  isWellFormed(): boolean;
}
const isWellFormed = (s: string): boolean => (s as unknown as WellFormedString).isWellFormed();

type Segment = string | number;

function pathOf(segments: readonly Segment[]): string {
  let out = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Thrown inside the walk; each enclosing container prepends its segment on the way out. */
class Failure extends Error {
  readonly segments: Segment[] = [];

  constructor(readonly reason: string) {
    super(reason);
  }
}

function fail(reason: string): never {
  throw new Failure(reason);
}

// Strings without quotes, backslashes, control characters or surrogates need no escaping and
// cannot be ill-formed: the common case, kept off JSON.stringify's call.
// eslint-disable-next-line no-control-regex -- control characters are what needs escaping
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

function serializeString(value: string): string {
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  // JCS §3.2.2.2: lone surrogates MUST make canonicalisation fail.
  if (!isWellFormed(value)) fail('string contains a lone UTF-16 surrogate');
  // JSON.stringify escapes exactly what JCS requires: " \ and U+0000–U+001F (\b \t \n \f \r, else
  // \u00xx in lower-case hex); everything else is emitted as is.
  return JSON.stringify(value);
}

/** Containers being serialised, outermost first: a repeat is a cycle (depth is small, so a list). */
const ancestors: object[] = [];

function serializeValue(input: unknown, key: Segment): string {
  let value = input;
  // Like JSON.stringify: an object may say how it is serialised (e.g. Date → ISO 8601 string).
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(String(key));
  }
  switch (typeof value) {
    case 'string':
      return serializeString(value);
    case 'number':
      // JCS §3.2.2.3: ECMAScript Number::toString (-0 gives "0"); NaN and ±Infinity are not JSON.
      if (!Number.isFinite(value)) fail(`${String(value)} is not a JSON number`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value);
    case 'undefined':
      return fail('undefined is not a JSON value');
    case 'bigint':
      return fail('bigint is not a JSON number (convert it to a string or a safe integer)');
    case 'function':
      return fail('a function is not a JSON value');
    case 'symbol':
      return fail('a symbol is not a JSON value');
  }
}

function serializeContainer(value: object): string {
  if (ancestors.includes(value)) fail('cyclic structure');
  ancestors.push(value);
  try {
    if (Array.isArray(value)) return serializeArray(value);
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'exotic';
      fail(`a ${kind} is not a plain object (build a plain object or give the class a toJSON)`);
    }
    return serializeObject(value as Record<string, unknown>);
  } finally {
    ancestors.pop();
  }
}

function serializeArray(value: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    try {
      out += (i === 0 ? '' : ',') + serializeValue(value[i], i);
    } catch (error) {
      if (error instanceof Failure) error.segments.unshift(i);
      throw error;
    }
  }
  return out + ']';
}

/**
 * Sorts member names by UTF-16 code units (JCS §3.2.3; JavaScript's `<` on strings and the default
 * sort both compare code units). Insertion sort for the usual handful of members is several times
 * faster than Array.prototype.sort.
 */
function sortNames(names: string[]): string[] {
  if (names.length > 16) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    let j = i - 1;
    while (j >= 0 && names[j] > name) {
      names[j + 1] = names[j];
      j--;
    }
    names[j + 1] = name;
  }
  return names;
}

function serializeObject(value: Record<string, unknown>): string {
  const keys = sortNames(Object.keys(value));
  let out = '{';
  for (const key of keys) {
    const member = value[key];
    // Like JSON.stringify: an undefined member is absent.
    if (member === undefined) continue;
    try {
      out += (out.length === 1 ? '' : ',') + serializeString(key) + ':' + serializeValue(member, key);
    } catch (error) {
      if (error instanceof Failure) error.segments.unshift(key);
      throw error;
    }
  }
  // JSON.stringify would silently drop symbol-keyed members; refuse them (rare, checked last).
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length > 0 && symbols.some((symbol) => Object.prototype.propertyIsEnumerable.call(value, symbol))) {
    fail('symbol-keyed properties cannot be represented in JSON');
  }
  return out + '}';
}

/** The RFC 8785 canonical JSON text of `value`. Throws CanonicalizationError for non-JSON data. */
export function canonicalize(value: unknown): string {
  const depth = ancestors.length; // non-zero only if a toJSON canonicalises something itself
  try {
    return serializeValue(value, '');
  } catch (error) {
    if (error instanceof Failure) throw new CanonicalizationError(pathOf(error.segments), error.reason);
    throw error;
  } finally {
    // A toJSON that threw may have left entries behind.
    ancestors.length = depth;
  }
}

/** The RFC 8785 canonical form of `value` as UTF-8 bytes: what is stored and hashed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses stored entry bytes and checks they are exactly the canonical form of what they encode
 * (valid UTF-8, no duplicate or unsorted members, no whitespace, canonical numbers and escapes).
 * Throws CanonicalizationError otherwise.
 */
export function parseCanonical(bytes: Uint8Array): unknown {
  let text: string;
  let value: unknown;
  try {
    text = strictUtf8.decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw new CanonicalizationError('$', `not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  if (canonicalize(value) !== text) throw new CanonicalizationError('$', 'JSON text is not in RFC 8785 canonical form');
  return value;
}
