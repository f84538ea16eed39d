// Routes for the benchmark's ceilings only (BENCH_ROUTES=1; never in production): the same process, database
// pool, Temporal client and worker as the real operations, with none of their work. Each answers what its
// real counterpart's floor costs: one row read by key, a workflow started with an update that returns at
// once, an update on a running workflow.
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { Router } from 'express';
import { caseById } from '../../db/readModel';
import type { Db } from '../../db/client';
import { ECHO_WORKFLOW, echoUpdate } from '../../workflows/probes/echo';

export function benchRoutes(deps: { db: Db; temporal: Client; taskQueue: string }): Router {
  const { db, temporal, taskQueue } = deps;
  const router = Router();
  router.get('/cases/:id', async (req, res) => {
    const view = await caseById(db, req.params.id);
    res.status(view ? 200 : 404).json(view);
  });
  router.post('/echo/:id', async (req, res) => {
    const text = await temporal.workflow.executeUpdateWithStart(echoUpdate, {
      args: [req.params.id],
      startWorkflowOperation: new WithStartWorkflowOperation(ECHO_WORKFLOW, { workflowId: req.params.id, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
    res.status(201).json({ text });
  });
  router.post('/echo/:id/update', async (req, res) => {
    res.json({ text: await temporal.workflow.getHandle(req.params.id).executeUpdate(echoUpdate, { args: [req.params.id] }) });
  });
  return router;
}
