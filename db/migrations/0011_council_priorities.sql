CREATE TABLE "council_priorities" (
	"meeting_id" text NOT NULL,
	"portfolio" text NOT NULL,
	"priority" integer NOT NULL,
	"case_id" text NOT NULL,
	CONSTRAINT "council_priorities_meeting_id_portfolio_priority_pk" PRIMARY KEY("meeting_id","portfolio","priority")
);
--> statement-breakpoint
ALTER TABLE "council_priorities" ADD CONSTRAINT "council_priorities_meeting_id_council_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."council_meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "council_priorities" ADD CONSTRAINT "council_priorities_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
INSERT INTO "council_priorities" ("meeting_id", "portfolio", "priority", "case_id")
SELECT "view"->'council'->>'meetingId', "portfolio", ("view"->'council'->>'priority')::integer, "id" FROM "cases"
WHERE "portfolio" IS NOT NULL AND "view"->'council'->>'priority' IS NOT NULL
  AND EXISTS (SELECT FROM "council_meetings" m WHERE m."id" = "view"->'council'->>'meetingId')
ON CONFLICT DO NOTHING;
