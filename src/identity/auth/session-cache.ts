import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';

import { APP_CONFIG, type AppConfig } from '../../config/config.js';

/** The channel the triggers of migration 1796004300001 notify on. */
export const AUTH_CHANGES_CHANNEL = 'custos_auth';

/** At most this many sessions are kept; the oldest go first. */
const MAX_ENTRIES = 10_000;
const RECONNECT_MS = 1_000;

interface Entry<T> {
  readonly value: T;
  readonly userId: string;
  /** Until when it may be served: the session's expiry, bounded by SESSION_CACHE_SECONDS. */
  readonly untilMs: number;
}

/**
 * Live sessions kept in process, so that an authenticated request costs no round trip to PostgreSQL
 * for its session (issue #19, ADR 0064) — without weakening revocation: every change to a session,
 * an account or an agency is announced by a trigger on the `custos_auth` channel, and each process
 * drops what it was told about before its next request. The cache is used only while this
 * process's LISTEN connection is up: when it drops, everything cached is forgotten and every request
 * reads the database again until it is back, because a notice may have been missed meanwhile.
 *
 * A lookup that raced a notice must not put back what the notice removed: `ticket()` is taken before
 * the database is read and `store()` keeps the row only if no notice arrived in between.
 */
@Injectable()
export class SessionCache<T = unknown> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionCache');
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxAgeMs: number;
  private generation = 0;
  private listening = false;
  private stopped = false;
  private client: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private outageLogged = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.maxAgeMs = config.auth.sessionCacheSeconds * 1000;
  }

  /** Whether sessions are being served from memory right now (the listener is up). */
  get active(): boolean {
    return this.listening;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.maxAgeMs === 0) return;
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    this.forgetAll();
    this.listening = false;
    await this.client?.end().catch(() => undefined);
  }

  get(sessionId: string): T | undefined {
    if (!this.listening) return undefined;
    const entry = this.entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.untilMs) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.value;
  }

  /** Taken before reading a session from the database; undefined while nothing may be cached. */
  ticket(): number | undefined {
    return this.listening ? this.generation : undefined;
  }

  /** Keeps a live session read under `ticket` unless something changed since. */
  store(ticket: number | undefined, sessionId: string, userId: string, expiresAt: Date, value: T): void {
    if (ticket === undefined || !this.listening || ticket !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(sessionId, {
      value,
      userId,
      untilMs: Math.min(expiresAt.getTime(), Date.now() + this.maxAgeMs),
    });
  }

  /** A notice from a trigger: `s:<session id>`, `u:<user id>` or anything else (`*`): forget all. */
  invalidate(payload: string): void {
    this.generation++;
    if (payload.startsWith('s:')) {
      this.entries.delete(payload.slice(2));
    } else if (payload.startsWith('u:')) {
      const userId = payload.slice(2);
      for (const [sessionId, entry] of this.entries) if (entry.userId === userId) this.entries.delete(sessionId);
    } else {
      this.entries.clear();
    }
  }

  private forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const options = this.dataSource.options as { url?: string };
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'custos-session-listener',
      keepAlive: true,
    });
    const lost = (error?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.listening = false;
      this.forgetAll();
      client.end().catch(() => undefined);
      if (this.stopped) return;
      if (!this.outageLogged) {
        this.outageLogged = true;
        this.logger.warn(
          `session change notices lost (${error?.message ?? 'connection ended'}): sessions are read from the database until they are back`,
        );
      }
      this.reconnect = setTimeout(() => void this.listen(), RECONNECT_MS);
      this.reconnect.unref();
    };
    this.client = client;
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel === AUTH_CHANGES_CHANNEL) this.invalidate(message.payload ?? '*');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANGES_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (this.client !== client) return;
    // Whatever changed before LISTEN took effect was never announced to this process.
    this.forgetAll();
    this.listening = true;
    if (this.outageLogged) this.logger.log('session change notices are back: live sessions are cached again');
    this.outageLogged = false;
  }
}
