/** Case responses (docs/access-control.md): cases and their shares. Mappers: cases.service.ts. */
import { AgencyView } from './identity.js';
import { DateTime, Index, List, Nullable, Page, StringEnum, Type, type Static } from './schema.js';

export const CASE_ACCESS = ['read', 'contribute'] as const;

export const CaseView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    caseNumber: Type.String(),
    title: Type.String(),
    legalAuthority: List(Type.String()),
    status: StringEnum(['open', 'closed'] as const),
    closedAt: Nullable(DateTime('When the case was closed; null while it is open.')),
    closeReason: Nullable(Type.String()),
    agency: AgencyView,
    createdAt: DateTime(),
    createdBy: Type.Object({
      id: Type.String({ format: 'uuid' }),
      username: Type.String(),
      displayName: Type.String(),
    }),
    access: StringEnum(CASE_ACCESS, { description: 'What you may do with it.' }),
    shared: Type.Boolean({ description: 'Your agency does not own it: it was shared with your agency or with you.' }),
  },
  { title: 'CaseView' },
);
export type CaseView = Static<typeof CaseView>;

export const CaseListEntry = Type.Object(
  { ...CaseView.properties, items: Type.Object({ total: Index(), compromised: Index() }) },
  { title: 'CaseListEntry', description: 'A case in a list, with its items counted.' },
);
export type CaseListEntry = Static<typeof CaseListEntry>;

export const ShareView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    caseId: Type.String({ format: 'uuid' }),
    grantee: Type.Union([
      Type.Object({ type: StringEnum(['agency'] as const), agency: AgencyView }),
      Type.Object({
        type: StringEnum(['user'] as const),
        user: Type.Object({
          id: Type.String({ format: 'uuid' }),
          username: Type.String(),
          displayName: Type.String(),
          agencyCode: Nullable(Type.String()),
        }),
      }),
    ]),
    access: StringEnum(CASE_ACCESS),
    grantedAt: DateTime(),
    grantedBy: Type.String({ description: 'Username.' }),
    revokedAt: Nullable(DateTime()),
    revokedBy: Nullable(Type.String()),
    status: StringEnum(['active', 'revoked'] as const),
  },
  { title: 'ShareView' },
);
export type ShareView = Static<typeof ShareView>;

export const CasePage = Page('cases', CaseListEntry, 'CasePage');
export const ShareList = Type.Object({ shares: List(ShareView) }, { title: 'ShareList' });
