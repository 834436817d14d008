import { applyDecorators } from '@nestjs/common';
import { ApiProduces, ApiResponse } from '@nestjs/swagger';
import type Type from 'typebox';

/**
 * Documents a route's JSON answer with its contract from src/contracts (ADR 0009): the schema the
 * mapper's type is inferred from, so the document cannot describe another shape than the code.
 */
export function ApiJson(status: number, schema: Type.TSchema, description = ''): MethodDecorator {
  return ApiResponse({ status, description, schema });
}

/**
 * Documents a download that is not JSON (a PDF, a CSV, a JSON-LD or bundle file): its media type
 * and a binary body. The OpenAPI test lists these routes by name; every other route has a schema.
 */
export function ApiFile(mediaType: string, description: string, status = 200): MethodDecorator {
  return applyDecorators(
    ApiProduces(mediaType),
    ApiResponse({
      status,
      description,
      content: {
        // A JSON file (a bundle, a JSON-LD export) is a format of its own, described in docs/.
        [mediaType]: { schema: mediaType.endsWith('json') ? { type: 'object' } : { type: 'string', format: 'binary' } },
      },
    }),
  );
}
