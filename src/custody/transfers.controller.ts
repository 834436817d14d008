import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { TransferPage, TransferView } from '../contracts/custody.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import {
  AcceptTransferDto,
  CancelTransferDto,
  CreateTransferDto,
  RejectTransferDto,
  TransferListQueryDto,
} from './dto/transfers.dto.js';
import { CUSTODIANS, ITEM_READERS } from './items.controller.js';
import { TransfersService } from './transfers.service.js';

const TRANSFER_ID = new UuidParam('transfer_not_found', 'Transfer');

@ApiTags('transfers')
@ApiBearerAuth()
@Controller('transfers')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post()
  @ApiJson(201, TransferView)
  @Roles(...CUSTODIANS)
  @ApiOperation({
    summary:
      'Release 1–500 items of one case you hold to another user (signed `released`); they stay yours until accepted',
    description: '409 item_transfer_pending when an item is already in a pending transfer; 403 not_custodian.',
  })
  release(@Ctx() ctx: RequestContext, @Body() body: CreateTransferDto): Promise<TransferView> {
    return this.transfers.release(ctx, body);
  }

  @Get()
  @ApiJson(200, TransferPage)
  @Roles(...ITEM_READERS)
  @ApiOperation({ summary: 'Transfers to you (incoming), from you (outgoing), or of one case; newest first' })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: TransferListQueryDto,
  ): Promise<{ transfers: TransferView[]; nextCursor: string | null }> {
    return this.transfers.list(ctx, { ...query, limit: query.limit ?? 100 });
  }

  @Get(':id')
  @ApiJson(200, TransferView)
  @Roles(...ITEM_READERS)
  @ApiOperation({ summary: 'One transfer (its parties, and readers of its case)' })
  get(@Ctx() ctx: RequestContext, @Param('id', TRANSFER_ID) id: string): Promise<TransferView> {
    return this.transfers.get(ctx, id);
  }

  @Post(':id/accept')
  @ApiJson(200, TransferView)
  @HttpCode(200)
  @Roles(...CUSTODIANS)
  @ApiOperation({
    summary: 'Accept as the named receiver (signed `received`): seal state per item, optional re-verification hashes',
    description:
      'A broken seal or a hash mismatch is recorded and marks the item compromised; it does not block the handover.',
  })
  accept(
    @Ctx() ctx: RequestContext,
    @Param('id', TRANSFER_ID) id: string,
    @Body() body: AcceptTransferDto,
  ): Promise<TransferView> {
    return this.transfers.accept(ctx, id, body);
  }

  @Post(':id/reject')
  @ApiJson(200, TransferView)
  @HttpCode(200)
  @Roles(...CUSTODIANS)
  @ApiOperation({
    summary: 'Reject as the named receiver (signed `rejected`, with a reason); custody stays with the releaser',
  })
  reject(
    @Ctx() ctx: RequestContext,
    @Param('id', TRANSFER_ID) id: string,
    @Body() body: RejectTransferDto,
  ): Promise<TransferView> {
    return this.transfers.reject(ctx, id, body);
  }

  @Post(':id/cancel')
  @ApiJson(200, TransferView)
  @HttpCode(200)
  @Roles(...CUSTODIANS)
  @ApiOperation({ summary: 'Cancel a pending transfer you released' })
  cancel(
    @Ctx() ctx: RequestContext,
    @Param('id', TRANSFER_ID) id: string,
    @Body() body: CancelTransferDto,
  ): Promise<TransferView> {
    return this.transfers.cancel(ctx, id, body);
  }
}
