import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, rmSync } from 'node:fs';
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

import tar from 'tar-stream';

import { BackupFileExistsError, BackupUnreadableError } from './backup.errors.js';

/**
 * The backup file (docs/operations.md, ADR 0008): a gzip-compressed POSIX tar archive of
 *
 *   data/…          the files of DATA_DIR (keys, credentials), without the lock, the port file, the
 *                   cluster and the signer's record of its last signed head;
 *   postgres/…      a base backup of the embedded cluster, with backup_label and the WAL from its
 *                   start to its end, which PostgreSQL replays at the first start after a restore;
 *   manifest.json   last: what was backed up, from where, and the size and SHA-256 of every member.
 *
 * Nothing is restored unless every member is present, listed in the manifest and of the listed
 * size and SHA-256.
 */
export const MANIFEST_NAME = 'manifest.json';
export const BACKUP_FORMAT = 'custos-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface ManifestMember {
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly mode: number;
  /** Files only. */
  readonly size?: number;
  readonly sha256?: string;
}

/** The embedded cluster's part of a backup. */
export interface DatabaseSection {
  readonly kind: 'embedded-postgresql';
  /** PostgreSQL major version of the cluster (its PG_VERSION): a physical backup restores only into it. */
  readonly postgresMajor: string;
  readonly postgresVersion: string;
  readonly platform: string;
  readonly arch: string;
  /** pg_control_system(): a restored cluster must be this same cluster. */
  readonly systemIdentifier: string;
  readonly startLsn: string;
  readonly stopLsn: string;
  readonly walSegments: readonly string[];
  /** Ledger entries committed before the backup began: every one of them is in the backup. */
  readonly ledgerSizeAtStart: number;
  readonly lastMigration: string | null;
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: typeof BACKUP_FORMAT_VERSION;
  readonly createdAt: string;
  /** Where it was taken (for the operator's records; a restore may go anywhere). */
  readonly dataDir: string;
  readonly database: DatabaseSection | null;
  /** What DATA_DIR held that is deliberately not in the backup, and why. */
  readonly excluded: readonly string[];
  readonly members: readonly ManifestMember[];
}

/** Counts the bytes and SHA-256 of what flows through (the whole compressed file). */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

const CHUNK = 1024 * 1024;

/** Where a backup is written until it is complete. */
export function partialFile(file: string): string {
  return join(dirname(file), `.${basename(file)}.partial`);
}

type EntryHeader = Parameters<tar.Pack['entry']>[0];
type Sink = ReturnType<tar.Pack['entry']>;

/**
 * Writes a backup to `<file>.partial` and renames it to `<file>` only once complete and flushed to
 * disk: an interrupted backup never leaves a file that looks like a backup. Mode 0600: it holds
 * the signing key and the database passwords.
 */
export class BackupWriter {
  private readonly members: ManifestMember[] = [];
  private readonly names = new Set<string>();
  private readonly digest = new Digest();
  private readonly pack = tar.pack();
  private readonly written: Promise<void>;
  /** Rejects when writing the file fails (a full disk): a writer waiting for 'drain' stops waiting. */
  private readonly failed: Promise<never>;

  private constructor(
    readonly file: string,
    private readonly partial: string,
  ) {
    // 'wx': a concurrent backup to the same name fails here instead of interleaving.
    const out = createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true });
    this.written = pipeline(this.pack, createGzip(), this.digest, out);
    this.failed = this.written.then(() => new Promise<never>(() => undefined));
    this.written.catch(() => undefined);
    this.failed.catch(() => undefined);
  }

  static create(file: string): BackupWriter {
    if (existsSync(file)) throw new BackupFileExistsError(file);
    return new BackupWriter(file, partialFile(file));
  }

  private claim(path: string): void {
    if (this.names.has(path)) throw new Error(`${path} added twice to the backup`);
    this.names.add(path);
  }

  addDirectory(path: string, mode: number): void {
    this.claim(path);
    this.pack.entry({ name: path, type: 'directory', mode: mode & 0o777, mtime: new Date() });
    this.members.push({ path, type: 'directory', mode: mode & 0o777 });
  }

  private async entry(header: EntryHeader, content: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<string> {
    const hash = createHash('sha256');
    let done!: Promise<void>;
    const sink = await new Promise<Sink>((resolve) => {
      done = new Promise<void>((entered, reject) => {
        resolve(this.pack.entry(header, (error) => (error ? reject(error) : entered())));
      });
    });
    done.catch(() => undefined);
    try {
      for await (const chunk of content) {
        hash.update(chunk);
        if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), this.failed]);
      }
      // streamx's end() takes an optional last chunk; its types want the argument.
      sink.end(undefined);
      await Promise.race([done, this.failed]);
    } catch (error) {
      sink.destroy(error as Error);
      throw error;
    }
    return hash.digest('hex');
  }

  async addBuffer(path: string, content: Buffer, mode: number): Promise<void> {
    this.claim(path);
    const sha256 = await this.entry({ name: path, size: content.length, mode: mode & 0o777, mtime: new Date() }, [
      content,
    ]);
    this.members.push({ path, type: 'file', mode: mode & 0o777, size: content.length, sha256 });
  }

  /**
   * Copies exactly `size` bytes of an open file. A database file that shrinks while it is read is
   * padded with zeros, one that grows is cut at `size`, as pg_basebackup does: WAL replay from the
   * backup's start rewrites every page changed during the copy.
   */
  async addFile(path: string, handle: FileHandle, size: number, mode: number, mtime: Date): Promise<void> {
    this.claim(path);
    async function* content(): AsyncGenerator<Buffer> {
      let position = 0;
      while (position < size) {
        const want = Math.min(CHUNK, size - position);
        const buffer = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buffer, 0, want, position);
        // Past the end (the file shrank): the zeros of Buffer.alloc.
        const chunk = bytesRead === 0 ? buffer : buffer.subarray(0, bytesRead);
        position += chunk.length;
        yield chunk;
      }
    }
    const sha256 = await this.entry({ name: path, size, mode: mode & 0o777, mtime }, content());
    this.members.push({ path, type: 'file', mode: mode & 0o777, size, sha256 });
  }

  /** Appends the manifest, completes the file and puts it in place; returns its size and SHA-256. */
  async finish(
    manifest: Omit<BackupManifest, 'members'>,
  ): Promise<{ manifest: BackupManifest; bytes: number; sha256: string }> {
    const complete: BackupManifest = { ...manifest, members: this.members };
    const content = Buffer.from(`${JSON.stringify(complete, null, 2)}\n`);
    this.claim(MANIFEST_NAME);
    await this.entry({ name: MANIFEST_NAME, size: content.length, mode: 0o600, mtime: new Date() }, [content]);
    this.pack.finalize();
    await this.written;
    // link, not rename: a file that appeared under the name meanwhile is never replaced.
    await link(this.partial, this.file).catch((error: unknown) => {
      throw (error as NodeJS.ErrnoException).code === 'EEXIST' ? new BackupFileExistsError(this.file) : error;
    });
    await unlink(this.partial);
    const directory = await open(dirname(this.file), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return { manifest: complete, bytes: this.digest.bytes, sha256: this.digest.hash.digest('hex') };
  }

  /** Drops the partial file after a failure. */
  async abort(): Promise<void> {
    this.pack.destroy();
    await this.written.catch(() => undefined);
    rmSync(this.partial, { force: true });
  }
}

/** One member as read back: its header, validated name, and content stream. */
export interface ArchiveEntry {
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly size: number;
  readonly mode: number;
  readonly stream: AsyncIterable<Buffer>;
}

const MEMBER_NAME = /^(data|postgres)(\/[^/\0]+)*$/;

function validName(path: string): boolean {
  if (path === MANIFEST_NAME) return true;
  return MEMBER_NAME.test(path) && !path.split('/').some((part) => part === '.' || part === '..');
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) return 'it ends early (truncated?)';
  if (code === 'Z_DATA_ERROR') return `its compressed data is damaged (${message})`;
  // Damage that still decompresses shows up as a broken tar header before gzip's own check fails.
  if (/invalid tar header/i.test(message)) return 'its content is damaged (an archive header is invalid)';
  if (code === 'ENOENT') return 'no such file';
  return message;
}

/** Every member of the archive in order; any damage surfaces as BackupUnreadableError. */
async function* readEntries(file: string): AsyncGenerator<ArchiveEntry> {
  const extract = tar.extract();
  let failure: unknown;
  const piping = pipeline(createReadStream(file), createGunzip(), extract).catch((error: unknown) => {
    failure = error;
  });
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const path = header.name.replace(/\/+$/, '');
      if (header.type !== 'file' && header.type !== 'directory') {
        throw new BackupUnreadableError(file, `member ${path} is a ${header.type}, not a file or directory`);
      }
      if (!validName(path)) throw new BackupUnreadableError(file, `member name ${JSON.stringify(path)} is not allowed`);
      // The consumer reads the content while this generator waits at `yield`: errors of the
      // decompression surface there, and get the same message.
      const content = async function* (): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of entry as AsyncIterable<Buffer>) yield chunk;
        } catch (error) {
          await piping;
          throw new BackupUnreadableError(file, describe(failure ?? error));
        }
      };
      yield { path, type: header.type, size: header.size, mode: header.mode, stream: content() };
    }
  } catch (error) {
    await piping;
    if (error instanceof BackupUnreadableError) throw error;
    throw new BackupUnreadableError(file, describe(failure ?? error));
  }
  await piping;
  if (failure !== undefined) throw new BackupUnreadableError(file, describe(failure));
}

function parseManifest(file: string, content: Buffer): BackupManifest {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(content.toString('utf8')) as BackupManifest;
  } catch {
    throw new BackupUnreadableError(file, 'its manifest is not JSON');
  }
  if (manifest.format !== BACKUP_FORMAT || !Array.isArray(manifest.members)) {
    throw new BackupUnreadableError(file, 'its manifest is not a Custos backup manifest');
  }
  return manifest;
}

/**
 * Reads the whole file once, hashing every member, and checks it against the manifest: nothing
 * missing, nothing extra, nothing changed. Returns the manifest; writes nothing.
 */
export async function verifyBackup(file: string): Promise<BackupManifest> {
  const seen = new Map<string, { type: string; size: number; sha256?: string }>();
  let manifest: BackupManifest | undefined;
  for await (const entry of readEntries(file)) {
    if (manifest !== undefined) throw new BackupUnreadableError(file, `member ${entry.path} follows the manifest`);
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry.stream) {
      hash.update(chunk);
      size += chunk.length;
      if (entry.path === MANIFEST_NAME) chunks.push(chunk);
    }
    if (entry.path === MANIFEST_NAME) {
      manifest = parseManifest(file, Buffer.concat(chunks));
      continue;
    }
    if (seen.has(entry.path)) throw new BackupUnreadableError(file, `member ${entry.path} appears twice`);
    seen.set(entry.path, {
      type: entry.type,
      size,
      sha256: entry.type === 'file' ? hash.digest('hex') : undefined,
    });
  }
  if (manifest === undefined) throw new BackupUnreadableError(file, 'it has no manifest (truncated?)');
  const listed = new Set<string>();
  for (const member of manifest.members) {
    const found = seen.get(member.path);
    listed.add(member.path);
    if (!found) throw new BackupUnreadableError(file, `member ${member.path} listed in the manifest is missing`);
    if (found.type !== member.type)
      throw new BackupUnreadableError(file, `member ${member.path} is not a ${member.type}`);
    if (member.type === 'file' && (found.size !== member.size || found.sha256 !== member.sha256)) {
      throw new BackupUnreadableError(file, `member ${member.path} does not match its SHA-256 in the manifest`);
    }
  }
  for (const path of seen.keys()) {
    if (!listed.has(path)) throw new BackupUnreadableError(file, `member ${path} is not in the manifest`);
  }
  return manifest;
}

/**
 * Reads the file again and hands each member to `write` with its content, checked against the
 * (already verified) manifest as it streams: a file that changed since verifyBackup fails here.
 */
export async function extractBackup(
  file: string,
  manifest: BackupManifest,
  write: (member: ManifestMember, content: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  const byPath = new Map(manifest.members.map((member) => [member.path, member]));
  let count = 0;
  for await (const entry of readEntries(file)) {
    if (entry.path === MANIFEST_NAME) {
      for await (const chunk of entry.stream) void chunk;
      continue;
    }
    const member = byPath.get(entry.path);
    if (!member || member.type !== entry.type) throw new BackupUnreadableError(file, `member ${entry.path} changed`);
    const hash = createHash('sha256');
    async function* checked(): AsyncGenerator<Buffer> {
      for await (const chunk of entry.stream) {
        hash.update(chunk);
        yield chunk;
      }
      if (member?.type === 'file' && hash.digest('hex') !== member.sha256) {
        throw new BackupUnreadableError(file, `member ${entry.path} changed since it was verified`);
      }
    }
    const content = checked();
    await write(member, content);
    for await (const chunk of content) void chunk; // what `write` left unread, and the check at its end
    count++;
  }
  if (count !== manifest.members.length) throw new BackupUnreadableError(file, 'members changed since verification');
}
