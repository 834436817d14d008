/** The RFC 9457 problem every error answers with (docs/api.md; src/common/problem.ts builds it). */
import { List, Type, type Static } from './schema.js';

export const FieldProblem = Type.Object({
  field: Type.String({ description: 'Full path of the field, e.g. items[3].imei.' }),
  messages: List(Type.String()),
});
export type FieldProblem = Static<typeof FieldProblem>;

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'The code as a relative URI, /problems/<code with dashes>.' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable: clients branch on it, never on detail.' }),
    detail: Type.String({ description: 'For people.' }),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String({ description: 'To quote; the service log has the full error under it.' })),
    errors: Type.Optional(List(FieldProblem, { description: 'On validation failures: one entry per failing field.' })),
  },
  { title: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details; features add members.' },
);
/** The members every problem has; features add their own (`warnings`, `lines`, …). */
export type ProblemMembers = Static<typeof Problem>;
export type Problem = ProblemMembers & { readonly [extension: string]: unknown };
