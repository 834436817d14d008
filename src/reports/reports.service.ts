import { createHash } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { verifyBundle } from '../bundles/bundle-verifier.js';
import { BundlesService, type BuiltBundle } from '../bundles/bundles.service.js';
import { CaseAccessService, type AccessibleCase } from '../cases/case-access.service.js';
import { CaseNotFoundError } from '../cases/cases.errors.js';
import type { RequestContext, Role } from '../common/request-context.js';
import type { ReportRecord } from '../contracts/ledger.js';
import { CustodyRecords } from '../custody/custody-records.service.js';
import { ItemNotFoundError } from '../custody/custody.errors.js';
import { CheckpointService } from '../ledger/checkpoint.service.js';
import type { LedgerEntry } from '../ledger/core/entry.js';
import { entryActor } from '../ledger/entry-actor.js';
import { LedgerIntegrityError } from '../ledger/ledger.errors.js';
import { LedgerService } from '../ledger/ledger.service.js';
import { agencyCodesOf, custodyReport, REPORT_ISSUED, type CustodyReport } from './custody-report.model.js';
import { renderCustodyReport } from './custody-report.pdf.js';
import { ReportNotFoundError } from './reports.errors.js';

/** Who may issue and look up reports: whoever may read a custody history (case access decides the rest). */
export const REPORT_READERS = [
  'officer',
  'clerk',
  'examiner',
  'prosecutor',
  'auditor',
] as const satisfies readonly Role[];

/** A report as served: the PDF, its SHA-256, and the ledger entry that registered it. */
export interface IssuedReport {
  readonly bytes: Buffer;
  /** Lower-case hex SHA-256 of `bytes`. */
  readonly sha256: string;
  readonly pages: number;
  readonly ledgerIndex: number;
  readonly fileName: string;
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

const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

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
    private readonly accessLog: AccessLogService,
  ) {}

  /** The report of an item; 404 item_not_found for an item the caller may not see. */
  async itemReport(ctx: RequestContext, itemId: string): Promise<IssuedReport> {
    const { kase } = await this.records.requireItem(this.dataSource, ctx, itemId, 'read');
    // Writes the `report.read` access-log row.
    const built = await this.bundles.itemBundle(ctx, itemId, { record: 'report' });
    return this.issue(ctx, kase, built);
  }

  /** The report of a case and every item in it; 404 case_not_found for a case the caller may not see. */
  async caseReport(ctx: RequestContext, caseId: string): Promise<IssuedReport> {
    const kase = await this.caseAccess.requireCase(this.dataSource, ctx, caseId, 'read');
    const built = await this.bundles.caseBundle(ctx, caseId, { record: 'report' });
    return this.issue(ctx, kase, built);
  }

  private async issue(ctx: RequestContext, kase: AccessibleCase, built: BuiltBundle): Promise<IssuedReport> {
    const actor = ctx.actor!;
    const { subject } = built.bundle;
    const report = await this.compose(ctx, kase, built);
    const rendered = await renderCustodyReport(report, {
      name: report.verification.bundleFileName,
      bytes: built.bytes,
      description: `Custody bundle of ${subject.type} ${subject.number} (custos-bundle/1), SHA-256 ${built.sha256}: check it with custos verify`,
    });
    const sha256 = sha256Hex(rendered.bytes);
    const role = actor.roles.find((r) => (REPORT_READERS as readonly Role[]).includes(r)) ?? null;
    const data: ReportIssuedData = {
      format: 'pdf',
      sha256,
      bundleSha256: built.sha256,
      checkpoint: { treeSize: report.verification.treeSize, rootHash: report.verification.rootBase64 },
      pages: rendered.pages,
      issuedAt: report.issuedAt.toISOString(),
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
    const fileName = `${subject.number}-custody-report-${report.verification.treeSize}.pdf`.replace(
      /[^A-Za-z0-9._-]/g,
      '_',
    );
    return { bytes: rendered.bytes, sha256, pages: rendered.pages, ledgerIndex: appended.index, fileName };
  }

  /** The report's content: the bundle read as a custody story, with the case and the names of agencies. */
  private async compose(ctx: RequestContext, kase: AccessibleCase, built: BuiltBundle): Promise<CustodyReport> {
    const actor = ctx.actor!;
    this.requireVerifiable(built);
    const codes = new Set(agencyCodesOf(built.bundle));
    codes.add(kase.agency_code);
    if (actor.agencyCode !== null) codes.add(actor.agencyCode);
    const rows = await this.dataSource.query<Array<{ code: string; name: string; country: string }>>(
      'SELECT code, name, country FROM agency WHERE code = ANY($1::text[])',
      [[...codes]],
    );
    // The legal wording is the issuer's agency's law (a prosecutor presents it to their court); an
    // issuer without an agency reads it under the case's.
    const issuingAgency = actor.agencyCode ?? kase.agency_code;
    const role = actor.roles.find((r) => (REPORT_READERS as readonly Role[]).includes(r)) ?? null;
    return custodyReport(built.bundle, built.sha256, {
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
      issuingCountry: rows.find((row) => row.code === issuingAgency)?.country ?? null,
    });
  }

  /**
   * A report tells its reader to run `custos verify` on its bundle: it is never issued for a bundle
   * that verifier would refuse.
   */
  private requireVerifiable(built: BuiltBundle): void {
    const result = verifyBundle(built.bytes, { trustedKey: this.checkpoints.publicKey().vkey });
    if (result.ok) return;
    const { subject } = built.bundle;
    this.logger.fatal(
      `LEDGER INTEGRITY FAILURE: the bundle of ${subject.type} ${subject.number} does not verify: ${result.reason}. No report was issued. Run \`custos ledger verify\`.`,
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
