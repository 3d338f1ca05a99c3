import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PreviewInfo } from '@ix-playground/sdk/protocol';
import type { PreviewGrants } from '../gateway/gateway.js';
import { base32, unbase32 } from '../http/base32.js';
import type { PlaygroundSession } from './playground-session.js';

/** What a cluster preview key holds: one port of one machine (by its place in the playground) of one session. */
export interface PreviewTarget {
  /** The session's id (20 hex digits). */
  session: string;
  /** The machine's place among the session's machines (0: the first). */
  index: number;
  port: number;
}

const SESSION_BYTES = 10;
const MAC_BYTES = 10;
/** The length of a key: 23 bytes in base32. */
export const CLUSTER_KEY_LENGTH = Math.ceil(((SESSION_BYTES + 3 + MAC_BYTES) * 8) / 5);

/** The secret a session's previews are signed with, derived from the gateways' shared secret. */
export function previewSecret(secret: string, session: string): Buffer {
  return createHmac('sha256', secret).update(`ix-preview:${session}`).digest();
}

const mac = (key: Buffer, body: Buffer) => createHmac('sha256', key).update(body).digest().subarray(0, MAC_BYTES);

/**
 * The host-name key of a preview on a cluster: the session, the machine's place and the port,
 * signed with the session's preview secret. Any gateway can check it and find the pod: no replica
 * keeps a table of previews. Lowercase base32 (host names are case-insensitive), 37 characters.
 */
export function previewKey(key: Buffer, target: PreviewTarget): string {
  const body = Buffer.alloc(SESSION_BYTES + 3);
  Buffer.from(target.session, 'hex').copy(body);
  body.writeUInt8(target.index, SESSION_BYTES);
  body.writeUInt16BE(target.port, SESSION_BYTES + 1);
  return base32(Buffer.concat([body, mac(key, body)]));
}

/** What a key says, if `secretOf` (the session's preview secret) signed it; undefined for any other string. */
export function readPreviewKey(text: string, secretOf: (session: string) => Buffer): PreviewTarget | undefined {
  if (text.length !== CLUSTER_KEY_LENGTH) return undefined;
  const bytes = unbase32(text);
  // Only the one spelling of a key: its last character's spare bit must be 0.
  if (!bytes || bytes.length < SESSION_BYTES + 3 + MAC_BYTES || base32(bytes) !== text) return undefined;
  const body = bytes.subarray(0, SESSION_BYTES + 3);
  const session = body.subarray(0, SESSION_BYTES).toString('hex');
  if (!timingSafeEqual(mac(secretOf(session), body), bytes.subarray(SESSION_BYTES + 3, SESSION_BYTES + 3 + MAC_BYTES))) return undefined;
  return { session, index: body.readUInt8(SESSION_BYTES), port: body.readUInt16BE(SESSION_BYTES + 1) };
}

/**
 * Previews of a session that lives in its pod, granted by its agent: signed keys in the URL
 * pattern of the gateways' preview listener (`{key}` left to fill), which proxy to the pod.
 */
export class ClusterPreviewGrants implements PreviewGrants {
  readonly #key: Buffer;
  readonly #session: string;
  readonly #url: string;
  readonly #machines: readonly string[];

  constructor(options: { key: Buffer; session: string; url: string; machines: readonly string[] }) {
    this.#key = options.key;
    this.#session = options.session;
    this.#url = options.url;
    this.#machines = options.machines;
  }

  grant(_session: PlaygroundSession, machine: string, port: number, title = ''): PreviewInfo {
    const index = Math.max(0, this.#machines.indexOf(machine));
    const key = previewKey(this.#key, { session: this.#session, index, port });
    return { machine, port, title: title || `Port ${port}`, url: this.#url.replace('{key}', key) };
  }
}
