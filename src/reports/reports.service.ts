import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { checkBundleTimestamps } from '../bundles/bundle-timestamps.js';
import { BundlesService, type BuiltBundle } from '../bundles/bundles.service.js';
import { CaseAccessService, type AccessibleCase } from '../cases/case-access.service.js';
import { CaseNotFoundError } from '../cases/cases.errors.js';
import type { RequestContext, Role } from '../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { ReportRecord } from '../contracts/ledger.js';
import { CustodyRecords } from '../custody/custody-records.service.js';
import { ItemNotFoundError } from '../custody/custody.errors.js';
import { isLanguage, type Language } from '../i18n/languages.js';
import { CheckpointService } from '../ledger/checkpoint.service.js';
import { verifyCosignatures } from '../ledger/core/cosignature.js';
import type { LedgerEntry } from '../ledger/core/entry.js';
import { entryActor } from '../ledger/entry-actor.js';
import { LedgerIntegrityError } from '../ledger/ledger.errors.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { LedgerTimestampingService } from '../ledger/timestamp/ledger-timestamping.service.js';
import {
  agencyCodesOf,
  displayInstant,
  REPORT_ISSUED,
  type ReportAttestations,
  type ReportContext,
} from './custody-report.model.js';
import { ReportRenderer } from './report-renderer.js';
import { ReportNotFoundError } from './reports.errors.js';

/** Who may issue and look up reports: whoever may read a custody history (case access decides the rest). */
export const REPORT_READERS = [
  'officer',
  'clerk',
  'examiner',
  'prosecutor',
  'auditor',
] as const satisfies readonly Role[];

/**
 * A report as served: the PDF in a temporary file (removed by `dispose`, which whoever serves it
 * must call once the response is over — sent, failed or abandoned), its SHA-256, and the ledger
 * entry that registered it.
 */
export interface IssuedReport {
  readonly file: string;
  readonly size: number;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly pages: number;
  readonly ledgerIndex: number;
  readonly fileName: string;
  dispose(): Promise<void>;
  /** The language it is written in (BCP 47). */
  readonly language: Language;
}

/** `data` of a `report.issued` ledger entry. */
export type ReportIssuedData = {
  readonly format: 'pdf';
  /** Hex SHA-256 of the PDF file as served. */
  readonly sha256: string;
  readonly bundleSha256: string;
  readonly checkpoint: { readonly treeSize: number; readonly rootHash: string };
  readonly pages: number;
  /** The issuing time printed on the report (and its PDF creation date). */
  readonly issuedAt: string;
  /** The language it is written in (BCP 47); absent in entries written before reports were translated (English). */
  readonly language?: Language;
};

/** What the lookup by SHA-256 answers: which report that file is, who it was issued to, when, and its ledger entry. */
export type { ReportRecord };

/**
 * The `report.issued` entry registering a PDF of SHA-256 $1: a point lookup in
 * ledger_entry_report_sha256_idx (migration ReportLookup) — the type is a literal and the expression
 * the index's own, so the planner matches the partial index.
 */
export const REPORT_LOOKUP_SQL = `SELECT idx, entry FROM ledger_entry
  WHERE type = '${REPORT_ISSUED}' AND ledger_report_sha256(entry) = $1
  ORDER BY idx LIMIT 1`;

/**
 * Court custody reports. A report is rendered from the custody bundle of its item or case (so it
 * prints exactly what that bundle proves), then registered: a `report.issued` ledger entry carrying
 * the PDF's SHA-256 is written in its own `LedgerService.write` unit, and only once it is durable
 * is the PDF returned. The PDF cannot name that entry (it would have to contain its own hash); it
 * names the bundle and checkpoint, and the lookup by SHA-256 finds the entry (ADR 0041).
 */
@Injectable()
export class ReportsService {
  private readonly logger = new Logger(ReportsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: CustodyRecords,
    private readonly caseAccess: CaseAccessService,
    private readonly bundles: BundlesService,
    private readonly ledger: LedgerService,
    private readonly checkpoints: CheckpointService,
    private readonly timestamping: LedgerTimestampingService,
    private readonly accessLog: AccessLogService,
    private readonly renderer: ReportRenderer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The report of an item; 404 item_not_found for an item the caller may not see, 503 service_busy
   * when every render slot and queue place is taken. `signal`: the client went away — an
   * unfinished report is abandoned and not registered.
   */
  async itemReport(
    ctx: RequestContext,
    itemId: string,
    language?: Language,
    signal?: AbortSignal,
  ): Promise<IssuedReport> {
    const { kase } = await this.records.requireItem(this.dataSource, ctx, itemId, 'read');
    return this.issue(ctx, kase, language, signal, () => this.bundles.itemBundle(ctx, itemId, { record: 'report' }));
  }

  /** The report of a case and every item in it; 404 case_not_found for a case the caller may not see. */
  async caseReport(
    ctx: RequestContext,
    caseId: string,
    language?: Language,
    signal?: AbortSignal,
  ): Promise<IssuedReport> {
    const kase = await this.caseAccess.requireCase(this.dataSource, ctx, caseId, 'read');
    return this.issue(ctx, kase, language, signal, () => this.bundles.caseBundle(ctx, caseId, { record: 'report' }));
  }

  /**
   * Reads the bundle (and writes the `report.read` access-log row) in this thread, holding a render
   * slot; a worker verifies it, composes the report and writes the PDF to a temporary file, hashing
   * it; then, the slot given back, the file is registered and handed to the caller. On any failure
   * the file is removed here.
   */
  private async issue(
    ctx: RequestContext,
    kase: AccessibleCase,
    language: Language | undefined,
    signal: AbortSignal | undefined,
    bundle: () => Promise<BuiltBundle>,
  ): Promise<IssuedReport> {
    const actor = ctx.actor!;
    const file = join(this.config.reportTempDir, `custos-report-${randomUUID()}.pdf`);
    const dispose = (): Promise<void> => rm(file, { force: true });
    try {
      const { built, rendered, issuedAt, printed } = await this.renderer.withSlot(signal, async (render) => {
        const built = await bundle();
        const context = await this.context(ctx, kase, built, language);
        const rendered = await render(
          {
            bundle: built.bytes,
            bundleSha256: built.sha256,
            trustedKey: this.checkpoints.publicKey().vkey,
            context,
            file,
          },
          signal,
        );
        if (!rendered.ok) this.integrityFailure(built, rendered.reason);
        return { built, rendered, issuedAt: context.issuedAt, printed: context.language ?? 'en' };
      });
      // A report nobody will receive is not registered.
      signal?.throwIfAborted();
      const { subject } = built.bundle;
      const role = actor.roles.find((r) => (REPORT_READERS as readonly Role[]).includes(r)) ?? null;
      const data: ReportIssuedData = {
        format: 'pdf',
        sha256: rendered.sha256,
        bundleSha256: built.sha256,
        checkpoint: { treeSize: rendered.treeSize, rootHash: rendered.rootBase64 },
        pages: rendered.pages,
        issuedAt: issuedAt.toISOString(),
        language: printed,
      };
      // Registered before it is served: a report that reached someone is always in the ledger.
      const appended = await this.ledger.write((em) =>
        this.ledger.append(em, ctx, {
          type: REPORT_ISSUED,
          actor: entryActor(ctx, role),
          subject: { type: subject.type, id: subject.id, number: subject.number },
          case: { id: kase.id, number: kase.case_number },
          data,
        }),
      );
      const fileName = `${subject.number}-custody-report-${rendered.treeSize}.pdf`.replace(/[^A-Za-z0-9._-]/g, '_');
      return {
        file,
        size: rendered.size,
        sha256: rendered.sha256,
        pages: rendered.pages,
        ledgerIndex: appended.index,
        fileName,
        language: printed,
        dispose,
      };
    } catch (error) {
      await dispose();
      // Piscina rejects an aborted render with its own error: answer with the abort's reason.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }

  /** What the report says besides its bundle: the case, the issuer, the names of agencies, the issuer's law. */
  private async context(
    ctx: RequestContext,
    kase: AccessibleCase,
    built: BuiltBundle,
    language: Language | undefined,
  ): Promise<ReportContext> {
    const actor = ctx.actor!;
    const codes = new Set(agencyCodesOf(built.bundle));
    codes.add(kase.agency_code);
    if (actor.agencyCode !== null) codes.add(actor.agencyCode);
    const rows = await this.dataSource.query<Array<{ code: string; name: string; country: string; language: string }>>(
      'SELECT code, name, country, language FROM agency WHERE code = ANY($1::text[])',
      [[...codes]],
    );
    // The legal wording is the issuer's agency's law (a prosecutor presents it to their court); an
    // issuer without an agency reads it under the case's.
    const issuingAgency = actor.agencyCode ?? kase.agency_code;
    const role = actor.roles.find((r) => (REPORT_READERS as readonly Role[]).includes(r)) ?? null;
    const issuer = rows.find((row) => row.code === issuingAgency);
    // The agency's language, unless the caller chose one; a tag this version does not print reads as English.
    const agencyLanguage = issuer !== undefined && isLanguage(issuer.language) ? issuer.language : 'en';
    return {
      issuedAt: new Date(),
      issuedBy: { name: actor.displayName, username: actor.username, role, agency: actor.agencyCode },
      case: {
        id: kase.id,
        number: kase.case_number,
        title: kase.title,
        agency: kase.agency_code,
        legalAuthority: kase.legal_authority,
        status: kase.status,
      },
      agencyNames: new Map(rows.map((row) => [row.code, row.name])),
      issuingCountry: issuer?.country ?? null,
      attestations: this.attestations(built),
      language: language ?? agencyLanguage,
    };
  }

  /**
   * The checkpoint's timestamp (verified against LEDGER_TSA_CA_FILE) and the cosignatures of this
   * ledger's configured witnesses (verified with their keys), for the verification section.
   */
  private attestations(built: BuiltBundle): ReportAttestations {
    const { bundle } = built;
    // The checkpoint's second line is its tree size (C2SP tlog-checkpoint).
    const own = (bundle.timestamps ?? []).find((t) => t.treeSize === Number(bundle.checkpoint.split('\n')[1]));
    const anchors = this.timestamping.enabled ? this.timestamping.trustAnchors : null;
    const checked = own === undefined ? undefined : checkBundleTimestamps({ ...bundle, timestamps: [own] }, anchors);
    if (checked?.ok === false)
      this.logger.error(`the bundle's time-stamp token is not named on the report: ${checked.reason}`);
    const stamp = checked?.ok ? checked.timestamps[0] : undefined;
    const witnesses = this.config.ledgerWitnesses.map((w) => w.vkey);
    return {
      timestamp: stamp ? { genTime: displayInstant(new Date(stamp.genTime)), tsa: stamp.tsa } : null,
      cosignatures: verifyCosignatures(bundle.checkpoint, witnesses).map((c) => ({
        witness: c.name,
        at: displayInstant(new Date(c.timestamp * 1000)),
      })),
    };
  }

  /**
   * A report tells its reader to run `custos verify` on its bundle: it is never issued for a bundle
   * that verifier would refuse (the worker checks it before composing anything).
   */
  private integrityFailure(built: BuiltBundle, reason: string): never {
    const { subject } = built.bundle;
    this.logger.fatal(
      `LEDGER INTEGRITY FAILURE: the bundle of ${subject.type} ${subject.number} does not verify: ${reason}. No report was issued. Run \`custos ledger verify\`.`,
    );
    throw new LedgerIntegrityError(
      'The ledger failed an integrity check; no report was issued. Operators have been alerted.',
    );
  }

  /**
   * Which report a file is, by its SHA-256: the `report.issued` entry that registered it. Answered
   * only to those who may read the report's item or case; anyone else, like a file Custos never
   * issued, gets 404 report_not_found.
   */
  async lookup(ctx: RequestContext, sha256: string): Promise<ReportRecord> {
    const rows = await this.dataSource.query<Array<{ idx: string; entry: Buffer }>>(REPORT_LOOKUP_SQL, [sha256]);
    if (rows.length === 0) throw new ReportNotFoundError();
    const entry = JSON.parse(rows[0].entry.toString('utf8')) as LedgerEntry;
    const kase = await this.requireSubject(ctx, entry);
    await this.accessLog.record(ctx, {
      event: 'report.read',
      outcome: 'success',
      subject: {
        type: entry.subject.type,
        id: entry.subject.id,
        label: entry.subject.number,
        agencyId: kase.agency_id,
      },
      caseId: kase.id,
      details: { lookup: sha256, ledgerIndex: entry.index },
    });
    const data = entry.data as unknown as ReportIssuedData;
    return {
      sha256: data.sha256,
      format: data.format,
      issuedAt: data.issuedAt,
      issuedBy: entry.actor,
      subject: { type: entry.subject.type, id: entry.subject.id, number: entry.subject.number ?? null },
      case: entry.case ?? null,
      ledgerIndex: entry.index,
      recordedAt: entry.recordedAt,
      bundleSha256: data.bundleSha256,
      checkpoint: data.checkpoint,
      pages: data.pages,
      language: data.language ?? 'en',
    };
  }

  private async requireSubject(ctx: RequestContext, entry: LedgerEntry): Promise<AccessibleCase> {
    try {
      if (entry.subject.type === 'item')
        return (await this.records.requireItem(this.dataSource, ctx, entry.subject.id, 'read')).kase;
      return await this.caseAccess.requireCase(this.dataSource, ctx, entry.subject.id, 'read');
    } catch (error) {
      if (error instanceof ItemNotFoundError || error instanceof CaseNotFoundError) throw new ReportNotFoundError();
      throw error;
    }
  }
}
