/**
 * How custody codes read for people in English — on the web app's screens and in court reports
 * alike, so the two never disagree ("USB drive", "SIM card", never "Usb drive"). The words are the
 * shared vocabulary's (src/i18n/locales/en.ts); reports in other languages use src/i18n/translator.ts.
 * Dependency-free: the web app imports this file too.
 */
import { en } from '../i18n/locales/en.js';

/** Words written in capitals wherever they stand (`sim_card` → `SIM card`, `ssd` → `SSD`). */
const ACRONYMS = /\b(ssd|usb|sim|imei|iccid|pdf|csv)\b/g;

/** A snake_case code as a phrase: first letter capital, acronyms in capitals (`usb_drive` → `USB drive`). */
export function humanize(code: string): string {
  const text = code.replace(/_/g, ' ').replace(ACRONYMS, (word) => word.toUpperCase());
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An item kind as people write it; a kind not listed reads as its code, humanized. */
export function itemKindWords(kind: string): string {
  const id = `kind.${kind}`;
  return Object.hasOwn(en, id) ? en[id as keyof typeof en] : humanize(kind);
}
