import { DomainError } from '../common/domain-error.js';
import { isLanguage, LANGUAGES, type Language } from './languages.js';

/** A language Custos does not print: 400 language_unsupported, naming the ones it does. */
export class LanguageUnsupportedError extends DomainError {
  constructor(tag: string, field: string) {
    const message = `${JSON.stringify(tag)} is not a language Custos prints; use one of ${LANGUAGES.join(', ')}`;
    super('invalid', 'language_unsupported', message, {
      supported: LANGUAGES,
      errors: [{ field, messages: [message] }],
    });
  }
}

/** A supported language tag, exactly as listed (`pt-BR`, never `pt-br`); anything else is refused. */
export function requireLanguage(tag: string, field: string): Language {
  if (!isLanguage(tag)) throw new LanguageUnsupportedError(tag, field);
  return tag;
}
