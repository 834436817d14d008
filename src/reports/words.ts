/**
 * How custody codes read for people — on the web app's screens and in court reports alike, so the
 * two never disagree ("USB drive", "SIM card", never "Usb drive"). Dependency-free: the web app
 * imports this file too.
 */

/** Item kinds as people write them. */
const ITEM_KIND_WORDS: Readonly<Record<string, string>> = {
  mobile_phone: 'Mobile phone',
  computer: 'Computer',
  laptop: 'Laptop',
  tablet: 'Tablet',
  hard_drive: 'Hard drive',
  ssd: 'SSD',
  usb_drive: 'USB drive',
  memory_card: 'Memory card',
  sim_card: 'SIM card',
  optical_disc: 'Optical disc',
  camera: 'Camera',
  game_console: 'Game console',
  other: 'Other',
  forensic_image: 'Forensic image',
  extraction: 'Extraction',
};

/** Words written in capitals wherever they stand (`sim_card` → `SIM card`, `ssd` → `SSD`). */
const ACRONYMS = /\b(ssd|usb|sim|imei|iccid|pdf|csv)\b/g;

/** A snake_case code as a phrase: first letter capital, acronyms in capitals (`usb_drive` → `USB drive`). */
export function humanize(code: string): string {
  const text = code.replace(/_/g, ' ').replace(ACRONYMS, (word) => word.toUpperCase());
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An item kind as people write it; a kind not listed reads as its code, humanized. */
export function itemKindWords(kind: string): string {
  return ITEM_KIND_WORDS[kind] ?? humanize(kind);
}
