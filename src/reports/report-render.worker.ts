/**
 * The CPU-heavy part of issuing a court report, run in a worker thread (ADR 0063): check the
 * bundle with the offline verifier, read it as a custody story and render the PDF into a file,
 * hashing the bytes as they are written. The main thread only reads the database before and
 * registers and serves the file after, so a 4,000-item case does not stop it answering others.
 *
 * Loaded by piscina (report-renderer.ts); it imports no Nest and no database code.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

import { verifyBundle } from '../bundles/bundle-verifier.js';
import type { CustodyBundle } from '../ledger/core/bundle.js';
import { custodyReport, type ReportContext } from './custody-report.model.js';
import { writeCustodyReport } from './custody-report.pdf.js';

export interface RenderTask {
  /** The bundle's canonical bytes, as served. */
  readonly bundle: Uint8Array;
  readonly bundleSha256: string;
  /** The ledger's verifier key (C2SP vkey): the bundle must verify under it. */
  readonly trustedKey: string;
  readonly context: ReportContext;
  /** Where to write the PDF: a new file (it must not exist), which the caller removes. */
  readonly file: string;
}

export type RenderOutcome =
  | {
      readonly ok: true;
      /** Lower-case hex SHA-256 of the file written. */
      readonly sha256: string;
      readonly size: number;
      readonly pages: number;
      readonly treeSize: number;
      readonly rootBase64: string;
    }
  /** The bundle does not verify: nothing was written. */
  | { readonly ok: false; readonly reason: string };

export default async function renderReport(task: RenderTask): Promise<RenderOutcome> {
  const bytes = Buffer.from(task.bundle.buffer, task.bundle.byteOffset, task.bundle.byteLength);
  const verification = verifyBundle(bytes, { trustedKey: task.trustedKey });
  if (!verification.ok) return { ok: false, reason: verification.reason };
  const bundle = JSON.parse(bytes.toString('utf8')) as CustodyBundle;
  const report = custodyReport(bundle, task.bundleSha256, task.context);
  const { subject } = bundle;
  const hash = createHash('sha256');
  let size = 0;
  // 'wx': never write over a file someone else made; 0600: a report is for the person it is issued
  // to. Synchronous writes are right here, off the service's event loop: each chunk goes to the
  // file as pdfkit makes it, so the file is never held in memory (an asynchronous stream would
  // buffer it all, since rendering does not yield).
  const fd = openSync(task.file, 'wx', 0o600);
  try {
    const { pages } = await writeCustodyReport(
      report,
      {
        name: report.verification.bundleFileName,
        bytes,
        description: `Custody bundle of ${subject.type} ${subject.number} (custos-bundle/1), SHA-256 ${task.bundleSha256}: check it with custos verify`,
      },
      (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        writeSync(fd, chunk);
      },
    );
    return {
      ok: true,
      sha256: hash.digest('hex'),
      size,
      pages,
      treeSize: report.verification.treeSize,
      rootBase64: report.verification.rootBase64,
    };
  } finally {
    closeSync(fd);
  }
}
