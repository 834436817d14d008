import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { ApiFile } from '../common/api-response.js';
import { DomainError } from '../common/domain-error.js';
import { HttpProblemException } from '../common/http-problem.exception.js';
import { Public } from '../identity/auth.decorators.js';
import { MAX_ADD_CHECKPOINT_BODY, TLOG_SIZE_CONTENT_TYPE } from '../ledger/core/index.js';
import { readBody } from './witness-server.js';
import type { AddCheckpointAnswer, Witness } from './witness.js';
import { IN_SERVICE_WITNESS } from './witness.tokens.js';

const KIND_OF_STATUS = { 400: 'invalid', 403: 'forbidden', 404: 'not_found', 422: 'unprocessable' } as const;

/**
 * `POST /api/v1/witness/add-checkpoint`: this service as a C2SP tlog-witness for the logs of other
 * agencies listed in WITNESS_LOGS. Public, as the protocol is: the log's signature on the
 * checkpoint is the request's authentication. The body is the protocol's text, not JSON (the one
 * route the JSON-only rule lets through). A cosignature answers 200 as text; a 409 carries the held
 * size as `text/x.tlog.size`; every other refusal is problem+json with the protocol's status.
 */
@ApiTags('witness')
@Controller('witness')
export class WitnessController {
  constructor(@Inject(IN_SERVICE_WITNESS) private readonly witness: Witness | undefined) {}

  @Post('add-checkpoint')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'C2SP tlog-witness add-checkpoint: cosign a checkpoint of a log this service witnesses' })
  @ApiConsumes('text/plain')
  @ApiFile('text/plain', 'one cosignature/v1 signature line')
  @ApiResponse({ status: 409, description: 'the size this witness holds, as text/x.tlog.size' })
  async addCheckpoint(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.witness) throw new DomainError('not_found', 'witness_off', 'this service witnesses no logs');
    const body = await readBody(request, MAX_ADD_CHECKPOINT_BODY);
    if (body === undefined) {
      response.setHeader('Connection', 'close');
      throw new HttpProblemException(413, 'payload_too_large', `the body is over ${MAX_ADD_CHECKPOINT_BODY} bytes`);
    }
    const answer: AddCheckpointAnswer = await this.witness.addCheckpoint(body);
    if (answer.status === 200) {
      response.status(200).type('text/plain; charset=utf-8').send(answer.cosignature);
      return;
    }
    if (answer.status === 409) {
      response.status(409).setHeader('Content-Type', TLOG_SIZE_CONTENT_TYPE);
      response.end(`${answer.size ?? 0}\n`);
      return;
    }
    if (answer.status === 413) throw new HttpProblemException(413, 'payload_too_large', answer.message);
    throw new DomainError(KIND_OF_STATUS[answer.status], `witness_${answer.code.toLowerCase()}`, answer.message);
  }
}
