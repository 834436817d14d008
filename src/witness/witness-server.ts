import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { MAX_ADD_CHECKPOINT_BODY, TLOG_SIZE_CONTENT_TYPE } from '../ledger/core/index.js';
import type { AddCheckpointAnswer, Witness } from './witness.js';

export type WitnessEventLogger = (answer: AddCheckpointAnswer) => void;

/** Reads a request body up to `limit` bytes; undefined when it is longer (the rest is not read). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((done, fail) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      done(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        request.removeAllListeners('data');
        request.pause();
        done(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => done(Buffer.concat(chunks)));
    request.on('error', fail);
  });
}

/** Writes a witness answer as the spec wants it: cosignature lines, or a size on 409. */
export function sendAnswer(response: ServerResponse, answer: AddCheckpointAnswer): void {
  if (answer.status === 200) {
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(answer.cosignature);
  } else if (answer.status === 409) {
    response.writeHead(409, { 'Content-Type': TLOG_SIZE_CONTENT_TYPE }).end(`${answer.size ?? 0}\n`);
  } else {
    response.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${answer.message}\n`);
  }
}

/** The standalone witness's HTTP server: `POST /add-checkpoint` and nothing else. */
export function createWitnessServer(witness: Witness, onAnswer: WitnessEventLogger = () => undefined): Server {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/add-checkpoint') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain; charset=utf-8' }).end('POST only\n');
      return;
    }
    void (async () => {
      const body = await readBody(request, MAX_ADD_CHECKPOINT_BODY);
      const answer: AddCheckpointAnswer =
        body === undefined
          ? {
              status: 413,
              code: 'BODY_TOO_LARGE',
              message: `the request body is over ${MAX_ADD_CHECKPOINT_BODY} bytes`,
            }
          : await witness.addCheckpoint(body);
      onAnswer(answer);
      if (body === undefined) response.setHeader('Connection', 'close');
      sendAnswer(response, answer);
    })().catch((error: unknown) => {
      process.stderr.write(`witness: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('internal error\n');
    });
  });
  server.keepAliveTimeout = 30_000;
  return server;
}
