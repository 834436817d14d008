import type { Logger } from 'pino';

export interface StartBanner {
  readonly url: string;
  readonly docs: string;
  /** With CUSTOS_WORKERS > 1: how many service processes share the port. */
  readonly workers?: number;
  /** Present while the bootstrap administrator's one-time password has not been changed. */
  readonly initialAdminPasswordFile?: string;
}

/**
 * The first thing an operator should read once the service listens: where it is, where its API
 * documentation is, and how to sign in the first time. On a terminal (pretty logs) a few aligned
 * lines; otherwise one JSON log line whose fields a script can read.
 */
export function announceStart(logger: Logger, banner: StartBanner, pretty: boolean): void {
  const message = `Custos is listening on ${banner.url}`;
  if (!pretty) {
    logger.info({ ...banner }, message);
    return;
  }
  const lines = [
    message,
    `  web app     ${banner.url}/`,
    `  API docs    ${banner.docs}`,
    ...(banner.workers === undefined ? [] : [`  processes   ${banner.workers} service workers`]),
    ...(banner.initialAdminPasswordFile === undefined
      ? []
      : [`  first login admin, with the one-time password in ${banner.initialAdminPasswordFile}`]),
  ];
  logger.info(lines.join('\n'));
}
