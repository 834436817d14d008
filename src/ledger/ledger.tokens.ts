/** Injection token of the loaded checkpoint signing key (ledger-key.ts). */
export const LEDGER_KEY = Symbol('LEDGER_KEY');
