import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, importSPKI, jwtVerify } from 'jose';
import type { TokenConfig } from '../config.js';
import { ErrorCode, PlaygroundError } from '../errors.js';

/** What a verified session token grants. */
export interface TokenGrant {
  /** The playground the token is for. */
  playground: string;
  /** The site's user id (`sub`), if the token names one. */
  user?: string;
}

/** Token ids remembered at most (their tokens are single use); past this, new tokens wait. */
const MAX_REMEMBERED = 100_000;

/**
 * Checks the signed session tokens a host site's backend mints (JWTs): the one configured algorithm
 * only (so `alg: none` and algorithm confusion fail), a valid signature, the configured `iss` and
 * `aud`, not expired, not older than the maximum age, a `playground` claim, and a `jti` never seen
 * before (a token starts one session, once).
 */
export class SessionTokens {
  readonly #config: TokenConfig;
  #key: Promise<KeyObject | CryptoKey> | undefined;
  /** Used token ids and when they expire (ms), oldest first. */
  readonly #used = new Map<string, number>();

  constructor(config: TokenConfig) {
    this.#config = config;
  }

  /**
   * Verifies a token for a playground (the one the request names, if it names one) and spends its
   * `jti`; throws an `unauthorized` {@link PlaygroundError} saying why not.
   */
  async verify(token: string, playground?: string): Promise<TokenGrant> {
    const config = this.#config;
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, await this.#keyFor(), {
        algorithms: [config.algorithm],
        issuer: config.issuer,
        audience: config.audience,
        maxTokenAge: Math.floor(config.maxAgeMs / 1000),
        requiredClaims: ['exp', 'iat', 'jti'],
        clockTolerance: 5,
      }));
    } catch (error) {
      throw new PlaygroundError(ErrorCode.Unauthorized, `the session token was refused: ${reason(error)}`);
    }
    const { playground: granted, sub, jti, exp } = payload as { playground?: unknown; sub?: unknown; jti?: unknown; exp?: unknown };
    if (typeof granted !== 'string' || !granted)
      throw new PlaygroundError(ErrorCode.Unauthorized, 'the session token was refused: it has no "playground" claim');
    if (playground !== undefined && playground !== granted) {
      throw new PlaygroundError(ErrorCode.Unauthorized, `the session token is for playground "${granted.slice(0, 64)}", not "${playground.slice(0, 64)}"`);
    }
    if (typeof jti !== 'string' || !jti || jti.length > 200)
      throw new PlaygroundError(ErrorCode.Unauthorized, 'the session token was refused: its "jti" must be a short string');
    this.#forgetExpired();
    if (this.#used.has(jti)) throw new PlaygroundError(ErrorCode.Unauthorized, 'the session token was refused: it was already used (mint one per session)');
    if (this.#used.size >= MAX_REMEMBERED) throw new PlaygroundError(ErrorCode.Unavailable, 'too many session tokens in flight; try again in a moment');
    this.#used.set(jti, (typeof exp === 'number' ? exp : 0) * 1000 + 5000);
    return { playground: granted, ...(typeof sub === 'string' && sub ? { user: sub.slice(0, 200) } : {}) };
  }

  #keyFor(): Promise<KeyObject | CryptoKey> {
    const { secret, publicKey, algorithm } = this.#config;
    this.#key ??= secret ? Promise.resolve(createSecretKey(Buffer.from(secret, 'utf8'))) : importSPKI(publicKey ?? '', algorithm);
    return this.#key;
  }

  #forgetExpired(): void {
    const now = Date.now();
    for (const [jti, expires] of this.#used) {
      if (expires > now) continue;
      this.#used.delete(jti);
    }
  }
}

/** A short reason for a person reading the error, without echoing the token. */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? "it is older than this server's maximum token age" : 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `claim "${error.claim}" ${error.reason === 'check_failed' ? 'is wrong' : error.reason.replace(/_/g, ' ')}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'it is signed with an algorithm this server does not accept';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'it is not a well-formed signed JWT';
  return 'it could not be verified';
}
