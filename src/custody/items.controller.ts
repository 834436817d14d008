import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ApiJson } from '../common/api-response.js';
import type { RequestContext } from '../common/request-context.js';
import { UuidParam } from '../common/uuid-param.pipe.js';
import { HashRecordList, ItemHistory, ItemList, ItemPage, ItemView, RecordedHashes } from '../contracts/custody.js';
import { Ctx, Roles } from '../identity/auth.decorators.js';
import { RecordHashesDto } from './dto/hashes.dto.js';
import { CorrectItemDto, DisposeItemDto, ItemListQueryDto, MoveItemDto, RegisterItemsDto } from './dto/items.dto.js';
import { HashesService, type HashRecordView } from './hashes.service.js';
import { ItemHistoryService, type HistoryEvent } from './item-history.service.js';
import { ItemsService } from './items.service.js';

const ITEM_ID = new UuidParam('item_not_found', 'Item');
const CASE_ID = new UuidParam('case_not_found', 'Case');
/** Everyone who works on or reads cases; what they see is limited by case access. */
export const ITEM_READERS = ['officer', 'clerk', 'examiner', 'prosecutor', 'auditor'] as const;
export const CUSTODIANS = ['officer', 'clerk', 'examiner', 'prosecutor'] as const;

/** Items and their custody acts. Who may do what: docs/custody.md and docs/access-control.md. */
@ApiTags('items')
@ApiBearerAuth()
@Controller()
export class ItemsController {
  constructor(
    private readonly items: ItemsService,
    private readonly hashes: HashesService,
    private readonly history: ItemHistoryService,
  ) {}

  @Post('cases/:id/items')
  @ApiJson(201, ItemList)
  @Roles('officer', 'examiner')
  @ApiOperation({
    summary:
      'Register a seizure of 1–200 items (officers), or forensic images/extractions made from an item you hold (examiners, signed `acquired`)',
    description:
      'All or nothing. Each item gets its number <AGENCY>-<YEAR>-<6 digits> and the registering user as its first custodian.',
  })
  register(
    @Ctx() ctx: RequestContext,
    @Param('id', CASE_ID) caseId: string,
    @Body() body: RegisterItemsDto,
  ): Promise<{ items: ItemView[] }> {
    return this.items.register(ctx, caseId, body);
  }

  @Get('items')
  @ApiJson(200, ItemPage)
  @Roles(...ITEM_READERS)
  @ApiOperation({
    summary:
      'Items of the cases you may see, by case, custodian (`me`: what you hold), state, integrity or text; by item number',
  })
  list(
    @Ctx() ctx: RequestContext,
    @Query() query: ItemListQueryDto,
  ): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    return this.items.list(ctx, { ...query, limit: query.limit ?? 100 });
  }

  @Get('items/:id')
  @ApiJson(200, ItemView)
  @Roles(...ITEM_READERS)
  @ApiOperation({
    summary: 'One item with its current custodian, location, state and integrity (corrected values shown)',
  })
  get(@Ctx() ctx: RequestContext, @Param('id', ITEM_ID) id: string): Promise<ItemView> {
    return this.items.get(ctx, id);
  }

  @Get('items/:id/history')
  @ApiJson(200, ItemHistory)
  @Roles(...ITEM_READERS)
  @ApiOperation({
    summary: 'The custody timeline: every ledger entry about the item, with signatures, ledger index and leaf hash',
  })
  itemHistory(
    @Ctx() ctx: RequestContext,
    @Param('id', ITEM_ID) id: string,
  ): Promise<{ item: ItemView; events: HistoryEvent[] }> {
    return this.history.history(ctx, id);
  }

  @Post('items/:id/hashes')
  @ApiJson(201, RecordedHashes)
  @Roles(...CUSTODIANS)
  @ApiOperation({
    summary:
      'Record hashes of a target: the first record is its reference (signed `acquired`), later ones verifications (optionally signed `verified`)',
    description:
      'A mismatch marks the item compromised. Only the custodian records hashes; any custody role verifies, ' +
      'only examiners and officers record a reference (the acquisition), otherwise 403 `reference_not_allowed`.',
  })
  recordHashes(
    @Ctx() ctx: RequestContext,
    @Param('id', ITEM_ID) id: string,
    @Body() body: RecordHashesDto,
  ): Promise<{ item: ItemView; records: HashRecordView[] }> {
    return this.hashes.record(ctx, id, body);
  }

  @Get('items/:id/hashes')
  @ApiJson(200, HashRecordList)
  @Roles(...ITEM_READERS)
  @ApiOperation({ summary: 'Hash references and verifications of the item, with results' })
  listHashes(@Ctx() ctx: RequestContext, @Param('id', ITEM_ID) id: string): Promise<{ hashes: HashRecordView[] }> {
    return this.hashes.listForItem(ctx, id);
  }

  @Post('items/:id/location')
  @ApiJson(200, ItemView)
  @HttpCode(200)
  @Roles(...CUSTODIANS)
  @ApiOperation({ summary: 'Storage move by the custodian (e.g. Madrid/HQ/Room 2/Shelf B/Bin 4)' })
  move(@Ctx() ctx: RequestContext, @Param('id', ITEM_ID) id: string, @Body() body: MoveItemDto): Promise<ItemView> {
    return this.items.move(ctx, id, body);
  }

  @Post('items/:id/disposition')
  @ApiJson(200, ItemView)
  @HttpCode(200)
  @Roles('clerk', 'officer')
  @ApiOperation({
    summary:
      'Dispose of the item under an authority: signed `disposed` by the custodian and `witnessed` by a witness. Terminal.',
  })
  dispose(
    @Ctx() ctx: RequestContext,
    @Param('id', ITEM_ID) id: string,
    @Body() body: DisposeItemDto,
  ): Promise<ItemView> {
    return this.items.dispose(ctx, id, body);
  }

  @Post('items/:id/corrections')
  @ApiJson(201, ItemView)
  @Roles('officer', 'clerk', 'examiner')
  @ApiOperation({
    summary:
      'Correct an entry of the item (what was registered, or a storage move’s location): a new signed entry naming it and why',
  })
  correct(
    @Ctx() ctx: RequestContext,
    @Param('id', ITEM_ID) id: string,
    @Body() body: CorrectItemDto,
  ): Promise<ItemView> {
    return this.items.correct(ctx, id, body);
  }
}
