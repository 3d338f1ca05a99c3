import type { IncomingMessage } from 'node:http';

/** The address that per-client limits count a request or connection against. */
export function clientAddress(req: Pick<IncomingMessage, 'socket'>): string {
  return req.socket.remoteAddress ?? 'unknown';
}
