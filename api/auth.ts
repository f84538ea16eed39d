// Bearer JWTs: HS256 with a shared secret (the embedded default generates one once under data/), or an
// identity provider's JWKS (then issuer and audience are required, see config.ts). Every token must carry
// exp and iat, is refused once older than the maximum token age, and is judged with a small clock
// tolerance. The verified claims become the Actor that the workflow records.
import { randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { JWT_SECRET_MIN_LENGTH, type Config } from '../config';
import { databaseUnreachable } from '../db/client';
import type { Actor } from '../workflows/types';
import { ROLES, type Role } from '../workflows/vocabulary';
import { HttpProblem } from './problems';


const roleClaim = z.string().refine((r) => (ROLES as readonly string[]).includes(r) || /^decider:[a-z0-9-]{1,50}$/.test(r),
  { message: `a role: ${ROLES.join(', ')} or decider:<tier>` });

const claims = z.object({
  sub: z.string().min(1).max(200),
  name: z.string().min(1).max(200).optional(),
  email: z.email().optional(),
  roles: z.array(roleClaim).min(1),
  org: z.string().min(1).max(100).optional(),
});
export type Claims = z.infer<typeof claims>;

/** A secret file's text, refused when it is too short to be a full-strength HS256 key. */
function readSecretFile(file: string): Uint8Array {
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < JWT_SECRET_MIN_LENGTH) {
    throw new Error(`${file} holds a secret of ${secret.length} characters; at least ${JWT_SECRET_MIN_LENGTH} are needed (delete it to have a new one generated)`);
  }
  return new TextEncoder().encode(secret);
}

/** The shared secret: configured, or generated once for the embedded default and kept in secretFile. */
export function signingSecret(jwt: Config['jwt']): Uint8Array {
  if (jwt.secret) return new TextEncoder().encode(jwt.secret);
  try {
    return readSecretFile(jwt.secretFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(jwt.secretFile), { recursive: true, mode: 0o700 });
  try {
    // 'wx': when two processes start together, the second reads the first one's secret.
    fs.writeFileSync(jwt.secretFile, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSecretFile(jwt.secretFile);
}

export async function signToken(jwt: Config['jwt'], claimed: Claims, expiresIn = '12h'): Promise<string> {
  const c = claims.parse(claimed);
  const token = new SignJWT({ ...c }).setProtectedHeader({ alg: 'HS256' }).setSubject(c.sub).setIssuedAt().setExpirationTime(expiresIn);
  if (jwt.issuer) token.setIssuer(jwt.issuer);
  if (jwt.audience) token.setAudience(jwt.audience);
  return token.sign(signingSecret(jwt));
}

export type Verifier = (token: string) => Promise<Actor>;

/** The identity provider's keys could not be had: the provider's trouble, not the token's (503, not 401). */
export class KeysUnavailable extends Error {}

/**
 * The provider's JWKS, fetched and cached by jose. A token naming a key the set lacks is the token's fault;
 * anything else that fails (no answer, not 200, not a key set) means no token can be judged now.
 */
function providerKeys(url: string): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url));
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new KeysUnavailable("The identity provider's keys could not be fetched", { cause: err });
    }
  };
}

/** A token naming a decider tier no rule set knows: the token's fault (401), never a decider of any amount. */
class UnknownTier extends Error {}

/** How soon a tier missing from the cached list is looked up again (a rule set added in another process). */
const TIER_RECHECK_MS = 1_000;

/**
 * The delegation tiers the rule sets name, read once and again when a token names one not among them (at
 * most every TIER_RECHECK_MS, so a stream of forged tiers costs the database little).
 */
export function knownTiers(load: () => Promise<string[]>): (tier: string) => Promise<boolean> {
  let cached: { at: number; tiers: Promise<Set<string>> } | undefined;
  const read = () => {
    const tiers = load().then((t) => new Set(t));
    cached = { at: Date.now(), tiers };
    // A failed read is not kept: the next token reads again.
    tiers.catch(() => { cached = undefined; });
    return tiers;
  };
  return async (tier) => {
    if ((await (cached?.tiers ?? read())).has(tier)) return true;
    return cached !== undefined && Date.now() - cached.at >= TIER_RECHECK_MS ? (await read()).has(tier) : false;
  };
}

/** isTier: whether a delegation tier exists (knownTiers); a decider role naming another is refused. */
export function createVerifier(jwt: Config['jwt'], isTier: (tier: string) => Promise<boolean>): Verifier {
  // The secret imported once: jose imports bytes again for every token (~60 µs of each request's CPU).
  const key: Promise<webcrypto.CryptoKey> | JWTVerifyGetKey = jwt.jwksUrl
    ? providerKeys(jwt.jwksUrl)
    : webcrypto.subtle.importKey('raw', signingSecret(jwt), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const options = {
    algorithms: jwt.jwksUrl ? ['RS256', 'PS256', 'ES256', 'EdDSA'] : ['HS256'],
    issuer: jwt.issuer,
    audience: jwt.audience,
    // A token without exp would never expire; without iat its age could not be told.
    requiredClaims: ['sub', 'exp', 'iat'],
    maxTokenAge: jwt.maxTokenAge,
    clockTolerance: jwt.clockTolerance,
  };
  return async (token) => {
    const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, await key, options);
    const c = claims.parse(payload);
    for (const role of c.roles) {
      if (role.startsWith('decider:') && !(await isTier(role.slice('decider:'.length)))) throw new UnknownTier(`no rule set has the tier of ${role}`);
    }
    return { id: c.sub, name: c.name ?? c.sub, email: c.email, roles: c.roles, org: c.org };
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request { actor?: Actor }
  }
}

/** Sets req.actor from the bearer token, or answers 401 (503 when the provider's keys cannot be had). */
export function authenticate(verify: Verifier): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      // Every 401 names the scheme it wants (RFC 9110 15.5.2); no error code when no token came (RFC 6750 3).
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpProblem('unauthenticated', 'Send a bearer token in the Authorization header');
    }
    try {
      req.actor = await verify(match[1]);
    } catch (err) {
      if (err instanceof KeysUnavailable) throw new HttpProblem('identity-provider-unavailable', `${err.message}; the token could not be checked`);
      // The tiers could not be read: the database's trouble, answered as such (503).
      if (databaseUnreachable(err)) throw err;
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpProblem('unauthenticated', err instanceof UnknownTier
        ? `The token names a decider tier no rule set has: ${err.message}`
        : 'The token is invalid, expired, too old or lacks the required claims (sub, roles, exp, iat)');
    }
    next();
  };
}

export function actorOf(req: Request): Actor {
  if (!req.actor) throw new HttpProblem('unauthenticated', 'Send a bearer token in the Authorization header');
  return req.actor;
}

export function hasRole(actor: Actor, role: Role): boolean {
  return role === 'decider' ? actor.roles.some((r) => r.startsWith('decider:')) : actor.roles.includes(role);
}

/** Every role but applicant sees every case. */
export const seesAllCases = (actor: Actor): boolean => actor.roles.some((r) => r !== 'applicant');

/** Applicants see only their own organisation's cases. */
export const maySeeCase = (actor: Actor, organisation: string): boolean => seesAllCases(actor) || actor.org === organisation;
