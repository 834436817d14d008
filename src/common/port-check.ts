import { createServer } from 'node:net';

/** HOST:PORT cannot be bound; the message names the variable to change. */
export class PortUnavailableError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly reason: string,
  ) {
    super(`cannot listen on ${host}:${port}: ${reason}`);
    this.name = 'PortUnavailableError';
  }
}

/** The error for a failed bind, from its errno code. */
export function portUnavailable(host: string, port: number, code: string | undefined): PortUnavailableError {
  return new PortUnavailableError(host, port, reasonFor(code, host, port));
}

function reasonFor(code: string | undefined, host: string, port: number): string {
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use by another program; set PORT to a free port (or stop that program)`;
    case 'EACCES':
      return `this OS user may not bind port ${port}; set PORT to a port above 1023`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine; set HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for all)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${host} does not resolve; set HOST to an address of this machine`;
    default:
      return `${code ?? 'unknown error'}; check HOST and PORT`;
  }
}

/**
 * Binds HOST:PORT and lets it go again, before the first start creates anything (the database,
 * the administrator, keys): a port that is taken must fail the start with nothing to clean up.
 * Another program may still take the port in between; then `listen` fails later, as before.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(portUnavailable(host, port, error.code)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
