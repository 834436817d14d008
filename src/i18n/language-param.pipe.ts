import type { PipeTransform } from '@nestjs/common';

import { LanguageUnsupportedError, requireLanguage } from './language.errors.js';
import type { Language } from './languages.js';

/**
 * `?lang=` of a printed document: absent, or a language Custos prints (400 language_unsupported,
 * listing them, for anything else — also an empty or repeated one).
 */
export class LanguageParam implements PipeTransform<unknown, Language | undefined> {
  transform(value: unknown): Language | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new LanguageUnsupportedError(JSON.stringify(value), 'lang');
    return requireLanguage(value, 'lang');
  }
}
