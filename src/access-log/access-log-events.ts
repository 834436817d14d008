/**
 * Every kind of access-log row (docs/identity.md lists them against CJIS Security Policy 5.4.1.1).
 * `outcome`: success — the action happened; failure — wrong credentials or invalid request;
 * denied — refused by a protection (authorisation, throttling, reuse detection).
 */
export const ACCESS_LOG_EVENTS = [
  'auth.login',
  /** Historical: written before ADR 0016, when failures locked an account; nothing writes it now. */
  'auth.lockout',
  'auth.login_throttled',
  'auth.logout',
  'auth.refresh',
  'auth.refresh_reuse',
  'auth.token_rejected',
  'auth.password_change',
  'auth.access_denied',
  'user.create',
  'user.update',
  'user.roles_change',
  'user.disable',
  'user.enable',
  'user.password_reset',
  'agency.create',
  'agency.update',
  'case.create',
  'case.read',
  'case.access_denied',
  'case.share',
  'case.share_revoke',
  'case.close',
  'case.reopen',
  'signature.sign',
  'access_log.read',
  'custody_history.read',
  'bundle.read',
  'report.read',
  'ledger.verify',
  'ledger.integrity_alarm',
  'ledger.witness_refused',
] as const;

export type AccessLogEvent = (typeof ACCESS_LOG_EVENTS)[number];

export const ACCESS_LOG_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AccessLogOutcome = (typeof ACCESS_LOG_OUTCOMES)[number];

/** What later features report through `AccessLogService.logRead`. */
export type ReadRecord = 'custody_history' | 'bundle' | 'report';
