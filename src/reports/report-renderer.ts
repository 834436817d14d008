import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Piscina } from 'piscina';

import { workerModule } from '../common/worker-module.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { RenderOutcome, RenderTask } from './report-render.worker.js';
import { ReportRendersBusyError } from './reports.errors.js';

/** What a 503 service_busy tells a client to wait: about the time of a large report. */
const RETRY_AFTER_SECONDS = 10;
/** A worker idle this long exits, giving its memory back (most instances render reports rarely). */
const IDLE_WORKER_MS = 30_000;

/** Renders a report in a worker thread; aborting `signal` stops the render (the worker is ended). */
export type RenderReport = (task: RenderTask, signal?: AbortSignal) => Promise<RenderOutcome>;

/**
 * Court reports off the event loop, bounded (ADR 0063). A report takes one *slot* from the moment
 * its bundle is read until its PDF is written: at most REPORT_RENDERS_MAX at once (each a worker
 * thread of a piscina pool of that size), REPORT_RENDERS_QUEUED more wait in order, holding nothing
 * but their place, and any further request is refused at once with 503 service_busy — so ten
 * people asking for a 4,000-item report together cost at most REPORT_RENDERS_MAX bundles and
 * renders of memory, and the service keeps answering everyone else.
 */
@Injectable()
export class ReportRenderer implements OnApplicationShutdown {
  private readonly pool: Piscina<RenderTask, RenderOutcome>;
  private readonly max: number;
  private readonly queued: number;
  /** Slots taken (bundle being read or report rendered), and of those, renders in a worker now. */
  private running = 0;
  private rendering = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.max = config.reportRendersMax;
    this.queued = config.reportRendersQueued;
    const { filename, execArgv } = workerModule(import.meta.url, 'report-render.worker');
    this.pool = new Piscina<RenderTask, RenderOutcome>({
      filename,
      execArgv,
      // No thread until the first report, none kept once idle: an idle service stays small.
      minThreads: 0,
      maxThreads: this.max,
      idleTimeout: IDLE_WORKER_MS,
    });
  }

  /**
   * Runs `work` holding a render slot, waiting for one if all are taken; throws
   * ReportRendersBusyError at once when the queue is full too, and the abort reason if `signal`
   * is aborted while waiting. The slot is given back when `work` settles.
   */
  async withSlot<T>(signal: AbortSignal | undefined, work: (render: RenderReport) => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running++;
    else if (this.waiting.length >= this.queued) throw new ReportRendersBusyError(RETRY_AFTER_SECONDS);
    else await this.waitForSlot(signal);
    try {
      signal?.throwIfAborted();
      return await work(async (task, taskSignal) => {
        this.rendering++;
        try {
          return await this.pool.run(task, { signal: taskSignal });
        } finally {
          this.rendering--;
        }
      });
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }

  private waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const reason = (): Error => (signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      if (signal?.aborted) return reject(reason());
      const start = (): void => {
        signal?.removeEventListener('abort', abandon);
        resolve();
      };
      const abandon = (): void => {
        const at = this.waiting.indexOf(start);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(reason());
      };
      this.waiting.push(start);
      signal?.addEventListener('abort', abandon, { once: true });
    });
  }

  /** Slots taken, renders in a worker, requests waiting (for tests and diagnostics). */
  get load(): { running: number; rendering: number; waiting: number } {
    return { running: this.running, rendering: this.rendering, waiting: this.waiting.length };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.destroy();
  }
}
