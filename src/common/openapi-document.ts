import type { OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';

import { Problem } from '../contracts/problem.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/**
 * Finishes the generated OpenAPI document (ADR 0009): every contract with a `title` becomes a
 * named component referenced where it is used, so a generated client gets `ItemView`,
 * `TransferView`, … rather than anonymous shapes; and every operation names the problem+json it
 * answers errors with. Works on copies: the contracts themselves are never changed.
 */
export function finishOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  const components: Record<string, SchemaObject | ReferenceObject> = { ...(document.components?.schemas ?? {}) };
  const seen = new Map<string, string>();
  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist);
    if (node === null || typeof node !== 'object') return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) copy[key] = hoist(value);
    const title = copy.title;
    // OpenAPI 3.0 allows null only beside `type`, not beside a $ref: nullable uses stay inline.
    if (typeof title !== 'string' || !('type' in copy) || copy.nullable === true) return copy;
    const text = JSON.stringify(copy);
    const previous = seen.get(title);
    // Two different shapes under one name would make a client's type lie about one of them.
    if (previous !== undefined && previous !== text) throw new Error(`Two response schemas are titled ${title}`);
    seen.set(title, text);
    components[title] = copy;
    return { $ref: `#/components/schemas/${title}` };
  };

  const paths: OpenAPIObject['paths'] = {};
  for (const [path, item] of Object.entries(document.paths)) {
    const finished: Record<string, unknown> = { ...item };
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (operation === undefined) continue;
      const responses = hoist(operation.responses) as Record<string, unknown>;
      responses.default ??= {
        description: 'An error: RFC 9457 problem details (docs/api.md)',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      };
      finished[method] = { ...operation, responses };
    }
    paths[path] = finished;
  }
  hoist(Problem);
  return { ...document, paths, components: { ...document.components, schemas: components } };
}
