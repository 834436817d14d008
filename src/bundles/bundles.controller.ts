import { Controller, Get, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ApiFile } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { BundlesService, type BuiltBundle } from './bundles.service.js';
import { BundleQueryDto } from './dto/bundle-query.dto.js';

const PARAMS = { item: new UuidParam('item_not_found', 'Item'), case: new UuidParam('case_not_found', 'Case') };
/** Whoever may read the item or case (case access decides the rest: 404 for what one may not see). */
const BUNDLE_READERS = ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor'] as const;

const FORMAT_DESCRIPTION =
  'A custos-bundle/1 JSON document (docs/bundle-format.md): origin, verifier key, signed checkpoint, every ledger entry in its canonical ' +
  'form with its inclusion proof, a signed statement that these are all the entries, and with `since` the consistency proof. ' +
  'Served as its RFC 8785 canonical bytes: the SHA-256 of the file is the bundle’s identity (also in the Repr-Digest header). ' +
  'Check it offline with `custos verify <file> --key <vkey>`.';

/** Verifiable custody bundles for prosecutors and courts. Writes a `bundle.read` access-log row. */
@ApiTags('bundles')
@ApiBearerAuth()
@Controller()
export class BundlesController {
  constructor(private readonly bundles: BundlesService) {}

  @Get('items/:id/bundle')
  @Roles(...BUNDLE_READERS)
  @ApiOperation({ summary: 'The verifiable custody bundle of an item', description: FORMAT_DESCRIPTION })
  @ApiFile('application/json', 'custos-bundle/1 document')
  async itemBundle(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.item) id: string,
    @Query() query: BundleQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return send(await this.bundles.itemBundle(ctx, id, { since: query.since }), response);
  }

  @Get('cases/:id/bundle')
  @Roles(...BUNDLE_READERS)
  @ApiOperation({ summary: 'The verifiable custody bundle of a whole case', description: FORMAT_DESCRIPTION })
  @ApiFile('application/json', 'custos-bundle/1 document')
  async caseBundle(
    @Ctx() ctx: RequestContext,
    @Param('id', PARAMS.case) id: string,
    @Query() query: BundleQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return send(await this.bundles.caseBundle(ctx, id, { since: query.since }), response);
  }
}

function send(built: BuiltBundle, response: Response): StreamableFile {
  const { subject, checkpoint } = built.bundle;
  const size = checkpoint.split('\n')[1];
  const name = `${subject.number}-at-${size}`.replace(/[^A-Za-z0-9._-]/g, '_');
  // RFC 9530: the digest of exactly the bytes served.
  response.setHeader('Repr-Digest', `sha-256=:${Buffer.from(built.sha256, 'hex').toString('base64')}:`);
  return new StreamableFile(built.bytes, {
    type: 'application/json',
    disposition: `attachment; filename="${name}.custos-bundle.json"`,
    length: built.bytes.length,
  });
}
