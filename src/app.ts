import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';

import { AppModule, type AppModuleOptions } from './app.module.js';
import { parseJsonBody, requireJsonBody } from './common/json-body.js';
import { httpLogOptions } from './common/logging.js';
import { bindRequestLogger, PinoNestLogger } from './common/nest-logger.js';
import { finishOpenApiDocument } from './common/openapi-document.js';
import { errorFallback, notFoundFallback } from './common/problem-details.filter.js';
import { requestIdMiddleware } from './common/request-id.js';
import { webAppMiddleware } from './web-app.js';

export const API_PREFIX = 'api/v1';

/**
 * Builds the HTTP application exactly as it runs in production; the e2e tests call this too, so
 * what they test is what ships. Middleware order matters: request id first (every refusal carries
 * it), then security headers, then the JSON-only body rules.
 */
export async function createApp(options: AppModuleOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  const nestLogger = new PinoNestLogger(options.logger);
  app.useLogger(nestLogger);
  app.set('trust proxy', options.config.trustProxy);
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  app.use(pinoHttp(httpLogOptions(options.logger)));
  app.use(bindRequestLogger);
  app.use(helmet());
  // Everything under the API carries custody data or identity: no browser or proxy may keep it.
  app.use(`/${API_PREFIX}`, noStore);
  app.use(requireJsonBody);
  app.use(parseJsonBody);
  const webApp = webAppMiddleware();
  if (webApp !== undefined) app.use(webApp);
  else nestLogger.warn('the web app is not built (dist/web/index.html missing): run `npm run build` to serve it at /');
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'health/ready'] });
  setUpOpenApi(app);
  try {
    await app.init();
  } catch (error) {
    // A provider that failed to bootstrap must not leave the others' timers and pools running.
    await app.close().catch(() => undefined);
    throw error;
  }
  app.use(notFoundFallback);
  app.use(errorFallback);
  return app;
}

function noStore(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('Cache-Control', 'no-store');
  next();
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Custos')
      .setDescription(
        'Evidence chain of custody: seized-device metadata, signed custody transfers and hash verifications ' +
          'in an append-only, tamper-evident ledger. Errors are RFC 9457 application/problem+json.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  const finished = finishOpenApiDocument(document);
  SwaggerModule.setup('api/docs', app, finished, { jsonDocumentUrl: 'api/docs-json', raw: ['json'] });
}
