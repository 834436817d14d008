import { Writable } from 'node:stream';

import pino from 'pino';

import { bindRequestLogger, PinoNestLogger } from './nest-logger.js';

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const lines = (): Array<Record<string, unknown>> =>
    text
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

describe('PinoNestLogger', () => {
  it('writes Nest messages with their context at the matching pino level', () => {
    const { logger, lines } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log('ready', 'NestApplication');
    nest.warn('careful', 'CasesService');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 30, context: 'NestApplication', msg: 'ready' }),
      expect.objectContaining({ level: 40, context: 'CasesService', msg: 'careful' }),
    ]);
  });

  it('keeps the route and module mapping out of the info log', () => {
    const { logger, lines } = capture();
    const nest = new PinoNestLogger(logger);
    nest.log('Mapped {/api/v1/cases, GET} route', 'RouterExplorer');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(lines()).toEqual([]);
  });

  it("logs an exception handler's string stack as an error object", () => {
    const { logger, lines } = capture();
    new PinoNestLogger(logger).error('boom', 'Error: boom\n    at somewhere (file.js:1:1)', 'ExceptionsHandler');
    expect(lines()[0]).toMatchObject({
      level: 50,
      context: 'ExceptionsHandler',
      msg: 'boom',
      err: { message: 'boom', stack: expect.stringContaining('at somewhere') },
    });
  });

  it("writes through the request's logger inside a request", () => {
    const { logger, lines } = capture();
    const nest = new PinoNestLogger(logger);
    const req = { log: logger.child({ reqId: 'r-1' }) } as never;
    bindRequestLogger(req, {} as never, () => nest.log('inside', 'CasesService'));
    nest.log('outside', 'CasesService');
    expect(lines()).toEqual([
      expect.objectContaining({ reqId: 'r-1', msg: 'inside' }),
      expect.not.objectContaining({ reqId: expect.anything() }),
    ]);
  });
});
