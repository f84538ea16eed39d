CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_timeline" (
	"case_id" text NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"applicant_status" jsonb,
	"applicant_action" text,
	CONSTRAINT "case_timeline_case_id_seq_pk" PRIMARY KEY("case_id","seq")
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "case_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "case_seq" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "stage_after" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "subject" text;--> statement-breakpoint
CREATE INDEX "audit_checkpoints_seq" ON "audit_checkpoints" USING btree ("seq");--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_case_or_subject" CHECK ((case_id IS NOT NULL AND case_seq IS NOT NULL AND stage_after IS NOT NULL AND subject IS NULL)
    OR (case_id IS NULL AND case_seq IS NULL AND subject IS NOT NULL));--> statement-breakpoint
-- Checkpoints are append-only like the chain they sign; the refusal names its table.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
-- The timeline of steps recorded before it was kept: each case's current status at its last step, and the
-- steps its applicants took themselves (their status then is not known).
INSERT INTO case_timeline (case_id, seq, at, applicant_status, applicant_action)
  SELECT id, seq, updated_at, view->'applicantStatus', NULL FROM cases
  ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO case_timeline (case_id, seq, at, applicant_status, applicant_action)
  SELECT case_id, case_seq, at, NULL, action FROM audit_events WHERE case_id IS NOT NULL AND actor_roles ? 'applicant'
  ON CONFLICT (case_id, seq) DO UPDATE SET applicant_action = excluded.applicant_action;
