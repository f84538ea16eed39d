// The Express app: security headers, JSON request logs without personal data, JSON bodies up to 256 kB,
// every operation under /api/v1, the operations endpoints also at the root, and problem+json for every error.
import cors from 'cors';
import express, { type Express, type Request, type Response } from 'express';
import helmet from 'helmet';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { configuredSigner } from '../audit/chain';
import { errorSerializers } from '../platform/errors';
import { delegationTiers } from '../db/referenceData';
import { createVerifier, knownTiers } from './auth';
import { benchRoutes } from './probes/benchRoutes';
import { idempotencyStore } from './idempotency';
import { rateLimits } from './rateLimits';
import { BASE_PATH, openApiDocument } from './openapi';
import { expressPath, mountOperations, type Operation } from './operation';
import { HttpProblem, problemHandler, sendProblem } from './problems';
import { actionOperations } from './routes/actions';
import { auditOperations } from './routes/audit';
import { caseOperations } from './routes/cases';
import { catalogueOperations } from './routes/catalogue';
import { dashboardOperations } from './routes/dashboard';
import { followUpOperations } from './routes/followUp';
import { historyOperations } from './routes/history';
import { meetingPackOperations } from './routes/meetingPack';
import { codecOperations } from './routes/codec';
import { metaOperations } from './routes/meta';
import { referenceOperations } from './routes/reference';
import { runningProjectOperations } from './routes/runningProjects';
import type { AppDeps, Services } from './services';

const BODY_LIMIT = '256kb';
const CODEC_BODY_LIMIT = '4mb';

/** 405 for a known path with another method, 404 for anything else. */
function unknownRoute(ops: Operation[], atRootToo: Operation[]) {
  const routes = ops.map((op) => ({
    method: op.method.toUpperCase(),
    pattern: new RegExp(`^${atRootToo.includes(op) ? `(${BASE_PATH})?` : BASE_PATH}${expressPath(op.path).replace(/:\w+/g, '[^/]+')}/?$`),
  }));
  return (req: Request, res: Response) => {
    const allowed = routes.filter((r) => r.pattern.test(req.path)).map((r) => r.method);
    if (allowed.length > 0) {
      res.setHeader('Allow', allowed.join(', '));
      return sendProblem(req, res, new HttpProblem('method-not-allowed', `${req.method} is not supported here; use ${allowed.join(' or ')}`));
    }
    sendProblem(req, res, new HttpProblem('not-found', `No endpoint ${req.method} ${req.path}`));
  };
}

/** The browsable reference is read, nothing else: another method is a 405 as everywhere (express.static would answer it). */
function onlyGet(req: Request, res: Response, next: () => void): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  res.setHeader('Allow', 'GET, HEAD');
  sendProblem(req, res, new HttpProblem('method-not-allowed', `${req.method} is not supported here; use GET`));
}

export function createApp(given: AppDeps): Express {
  const deps: Services = { ...given, signer: given.signer ?? configuredSigner(given.config), limits: rateLimits(given.db, given.config.rateLimits) };
  const logger = deps.logger ?? pino({ level: deps.config.logLevel, serializers: errorSerializers });
  let document: Record<string, unknown> = {};
  const verify = createVerifier(deps.config.jwt, knownTiers(() => delegationTiers(deps.db)));
  const meta = metaOperations(deps, () => document, verify);
  const ops = [
    ...meta,
    ...caseOperations(deps),
    ...actionOperations(deps),
    ...historyOperations(deps),
    ...auditOperations(deps),
    ...dashboardOperations(deps),
    ...referenceOperations(deps),
    ...catalogueOperations(deps),
    ...followUpOperations(deps),
    ...meetingPackOperations(deps),
    ...runningProjectOperations(deps),
    ...codecOperations(deps),
  ];
  document = openApiDocument(ops);
  const mountDeps = { verify, idempotency: idempotencyStore(deps.db, deps.config.idempotencyLeaseMs), limits: deps.limits };

  const app = express();
  app.use(pinoHttp({
    logger,
    // Method, path (no query string: it may hold search words), status and duration; never headers or bodies.
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      ...errorSerializers,
    },
    autoLogging: { ignore: (req) => /^\/(healthz|readyz)$/.test(req.url ?? '') },
  }));
  app.use(helmet());
  // The Temporal UI calls the codec endpoints from its own origin; an engine payload may be up to 2 MB (base64: more).
  app.use(`${BASE_PATH}/codec`, cors({ origin: deps.config.temporal.codecCorsOrigins, credentials: true, allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'], methods: ['POST'], maxAge: 600 }));
  app.use(`${BASE_PATH}/codec`, express.json({ limit: CODEC_BODY_LIMIT }));
  app.use(express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }));

  const api = express.Router();
  mountOperations(api, ops, mountDeps);
  api.use('/docs', onlyGet, swaggerUi.serve, swaggerUi.setup(document));
  app.use(BASE_PATH, api);

  // The benchmark's ceilings (api/probes/benchRoutes.ts) behind the same middleware as every operation.
  if (deps.config.benchRoutes) app.use('/bench', benchRoutes({ db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueue }));

  const root = express.Router();
  mountOperations(root, meta, mountDeps);
  root.use('/docs', onlyGet, swaggerUi.serve, swaggerUi.setup(document));
  app.use(root);

  app.use(unknownRoute(ops, meta));
  app.use(problemHandler(logger));
  return app;
}
