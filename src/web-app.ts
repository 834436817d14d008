import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * The web app (src/web, built by Vite into dist/web) served by the service itself at `/`: its files,
 * and index.html for the app's own paths, so a reloaded deep link (`/cases/…`) opens the app. Any
 * other path — /api, /health, an unknown one — goes on to Nest and keeps its problem+json answers.
 */
/** The app's own paths (src/web/App.tsx): anything else stays a problem+json 404. */
const APP_PATHS = /^\/(|login|cases|cases\/[^/]+(\/seize)?|items\/[^/]+|inbox|mine|search|password|admin)$/;

/** dist/web beside dist/src when running the build; from the sources (tests), the build's dist/web. */
export function webAppRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(dirname(here)) === 'dist' ? resolve(here, '../web') : resolve(here, '../dist/web');
}

export function webAppMiddleware(root: string = webAppRoot()): RequestHandler | undefined {
  const index = join(root, 'index.html');
  if (!existsSync(index)) return undefined;
  const files = express.static(root, {
    index: false,
    fallthrough: true,
    redirect: false,
    // Vite names assets by content hash: they never change under one name.
    setHeaders: (response, path) => {
      response.setHeader(
        'Cache-Control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (request.path.startsWith('/api/') || request.path.startsWith('/health')) return next();
    files(request, response, (error?: unknown) => {
      if (error !== undefined && error !== null) return next(error);
      // A missing asset or unknown path is a 404, not the app: a stale bundle must fail loudly.
      if (!APP_PATHS.test(request.path)) return next();
      response.setHeader('Cache-Control', 'no-cache');
      response.sendFile(index, (sendError?: Error) => {
        if (sendError !== undefined) next(sendError);
      });
    });
  };
}
