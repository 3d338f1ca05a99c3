import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AttachMode } from '@ix-playground/sdk/protocol';

/** The digests of a session's tokens, which is all that needs to travel (to an agent in a pod, say). */
export interface CredentialDigests {
  /** The session's id. */
  id: string;
  /** SHA-256 of the read-write token, hex. */
  token: string;
  /** SHA-256 of the spectator token, hex. */
  spectator: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A session's id and tokens: the read-write token, and a spectator token that only ever attaches
 * read-only. Where the session was made the tokens are known (they go to the page once); where
 * only their digests were sent (an agent), the tokens are not, but checking one works the same.
 */
export class SessionCredentials {
  /** Session id (safe to show; useless without a token). */
  readonly id: string;
  /** The read-write token, where it is known. */
  readonly token: string | undefined;
  /** The spectator token, where it is known. */
  readonly spectatorToken: string | undefined;
  readonly #token: Buffer;
  readonly #spectator: Buffer;

  private constructor(id: string, tokens: { token?: string; spectatorToken?: string }, digests: { token: Buffer; spectator: Buffer }) {
    this.id = id;
    this.token = tokens.token;
    this.spectatorToken = tokens.spectatorToken;
    this.#token = digests.token;
    this.#spectator = digests.spectator;
  }

  /** New random credentials (with `id`, for a session whose id is made elsewhere: label-safe, say). */
  static create(id = randomBytes(12).toString('base64url')): SessionCredentials {
    const token = randomBytes(24).toString('base64url');
    const spectatorToken = randomBytes(24).toString('base64url');
    return new SessionCredentials(id, { token, spectatorToken }, { token: digest(token), spectator: digest(spectatorToken) });
  }

  /** Credentials known only by their digests. */
  static fromDigests(digests: CredentialDigests): SessionCredentials {
    return new SessionCredentials(digests.id, {}, { token: Buffer.from(digests.token, 'hex'), spectator: Buffer.from(digests.spectator, 'hex') });
  }

  /** The digests, to send where the session will live. */
  get digests(): CredentialDigests {
    return { id: this.id, token: this.#token.toString('hex'), spectator: this.#spectator.toString('hex') };
  }

  /** Constant-time check of a client's token: the access it grants, or undefined. */
  verify(token: string): AttachMode | undefined {
    const given = digest(token);
    if (given.length === this.#token.length && timingSafeEqual(given, this.#token)) return 'rw';
    if (given.length === this.#spectator.length && timingSafeEqual(given, this.#spectator)) return 'ro';
    return undefined;
  }
}
