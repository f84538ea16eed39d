-- Periodic reports that earlier versions left awaited after a project's execution had ended (at the planned end or on
-- termination) are closed as not received: kept on record, no longer counted as late anywhere. The stored case views
-- say the same, and a closed case lists no deadline. Running cases do the same in their workflow at their next step.
UPDATE "reports" SET "status" = 'notReceived'
FROM "cases"
WHERE "cases"."id" = "reports"."case_id"
  AND "cases"."stage" IN ('closure', 'followUp', 'completed', 'terminated')
  AND "reports"."type" NOT IN ('final', 'effect')
  AND "reports"."status" IN ('scheduled', 'due', 'overdue', 'escalated');
--> statement-breakpoint
UPDATE "cases" SET "view" = jsonb_set("view", '{reports}', (
  SELECT coalesce(jsonb_agg(
    CASE WHEN r->>'type' NOT IN ('final', 'effect') AND r->>'status' IN ('scheduled', 'due', 'overdue', 'escalated')
      THEN jsonb_set(r, '{status}', '"notReceived"') ELSE r END ORDER BY n), '[]'::jsonb)
  FROM jsonb_array_elements("view"->'reports') WITH ORDINALITY AS t(r, n)
))
WHERE "stage" IN ('closure', 'followUp', 'completed', 'terminated')
  AND EXISTS (
    SELECT 1 FROM jsonb_array_elements("view"->'reports') r
    WHERE r->>'type' NOT IN ('final', 'effect') AND r->>'status' IN ('scheduled', 'due', 'overdue', 'escalated')
  );
--> statement-breakpoint
UPDATE "cases" SET "view" = jsonb_set("view", '{deadlines}', '[]'::jsonb)
WHERE "stage" IN ('completed', 'rejected', 'redirected', 'lapsed', 'withdrawn', 'terminated') AND "view"->'deadlines' <> '[]'::jsonb;
