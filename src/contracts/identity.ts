/**
 * Identity responses (docs/identity.md): agencies, users and sessions. Mappers: `agencyViewOf` and
 * `userView` (identity/users/user-records.ts), `agencyDetails` (agencies.service.ts) and the
 * session answers of auth.service.ts.
 */
import { ROLES } from '../common/request-context.js';
import { DateTime, List, Nullable, Page, StringEnum, Type, type Static } from './schema.js';

export const AgencyView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    code: Type.String({ description: 'e.g. ES-PN' }),
    name: Type.String(),
    country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
  },
  { title: 'AgencyView' },
);
export type AgencyView = Static<typeof AgencyView>;

export const AgencyDetails = Type.Object(
  {
    ...AgencyView.properties,
    language: Type.String({
      description: 'BCP 47 tag of the language its court reports and label sheets are printed in (ADR 0073)',
    }),
    createdAt: DateTime(),
  },
  { title: 'AgencyDetails' },
);
export type AgencyDetails = Static<typeof AgencyDetails>;

export const RoleName = StringEnum(ROLES);

export const UserView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    displayName: Type.String(),
    agency: Nullable(AgencyView),
    roles: List(RoleName),
    platformAdmin: Type.Boolean(),
    active: Type.Boolean(),
    mustChangePassword: Type.Boolean(),
    timeZone: Nullable(Type.String({ description: 'IANA zone the user’s tools write local times in (log imports).' })),
    lastLoginAt: Nullable(DateTime()),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  },
  { title: 'UserView' },
);
export type UserView = Static<typeof UserView>;

export const CreatedUser = Type.Object(
  {
    ...UserView.properties,
    initialPassword: Type.Optional(
      Type.String({ description: 'Only when the password was generated: shown this once, never stored in clear.' }),
    ),
  },
  { title: 'CreatedUser' },
);
export type CreatedUser = Static<typeof CreatedUser>;

export const SessionTokens = Type.Object(
  {
    accessToken: Type.String(),
    refreshToken: Type.String(),
    tokenType: StringEnum(['Bearer'] as const),
    expiresIn: Type.Integer({ minimum: 0, description: 'Seconds until the access token expires.' }),
    sessionExpiresAt: DateTime('When the session ends, whatever the refreshes.'),
    user: UserView,
  },
  { title: 'SessionTokens' },
);
export type SessionTokens = Static<typeof SessionTokens>;

export const UserPage = Page('users', UserView, 'UserPage');
export const AgencyPage = Page('agencies', AgencyDetails, 'AgencyPage');
