CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"case_id" text NOT NULL,
	"case_seq" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_id" text NOT NULL,
	"actor_name" text NOT NULL,
	"actor_roles" jsonb NOT NULL,
	"actor_org" text,
	"action" text NOT NULL,
	"stage_before" text,
	"stage_after" text NOT NULL,
	"input" jsonb,
	"outcome" jsonb,
	"motivation" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_numbers" (
	"year" integer PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"organisation" text NOT NULL,
	"portfolio" text,
	"kind" text,
	"stage" text NOT NULL,
	"applicant_status" text NOT NULL,
	"rule_set_version" integer NOT NULL,
	"granted_amount" bigint,
	"view" jsonb NOT NULL,
	"seq" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"application_at" timestamp with time zone,
	"decision_at" timestamp with time zone,
	"project_start" date,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "change_requests" (
	"case_id" text NOT NULL,
	"id" text NOT NULL,
	"reason" text NOT NULL,
	"new_total_cost" bigint,
	"new_end_date" date,
	"scope_change" text,
	"tier" text NOT NULL,
	"status" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "change_requests_case_id_id_pk" PRIMARY KEY("case_id","id")
);
--> statement-breakpoint
CREATE TABLE "council_agenda" (
	"meeting_id" text NOT NULL,
	"case_id" text NOT NULL,
	CONSTRAINT "council_agenda_meeting_id_case_id_pk" PRIMARY KEY("meeting_id","case_id")
);
--> statement-breakpoint
CREATE TABLE "council_meetings" (
	"id" text PRIMARY KEY NOT NULL,
	"date" date NOT NULL,
	"title" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"case_id" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"amount" bigint,
	"tier" text,
	"decided_by" text NOT NULL,
	"motivation" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "decisions_case_id_seq_pk" PRIMARY KEY("case_id","seq")
);
--> statement-breakpoint
CREATE TABLE "frame_reservations" (
	"case_id" text NOT NULL,
	"portfolio_id" text NOT NULL,
	"year" integer NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "frame_reservations_case_id_year_pk" PRIMARY KEY("case_id","year")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_principal_key_pk" PRIMARY KEY("principal","key")
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"email" text
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" text NOT NULL,
	"seq" integer NOT NULL,
	"template" text NOT NULL,
	"recipient" text NOT NULL,
	"language" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"html" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"message_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "portfolio_frames" (
	"portfolio_id" text NOT NULL,
	"year" integer NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "portfolio_frames_portfolio_id_year_pk" PRIMARY KEY("portfolio_id","year")
);
--> statement-breakpoint
CREATE TABLE "portfolios" (
	"id" text PRIMARY KEY NOT NULL,
	"number" integer NOT NULL,
	"name_sv" text NOT NULL,
	"name_en" text NOT NULL,
	"experimental" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"case_id" text NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"period_start" text NOT NULL,
	"period_end" text NOT NULL,
	"due_date" date NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"received_at" timestamp with time zone,
	CONSTRAINT "reports_case_id_id_pk" PRIMARY KEY("case_id","id")
);
--> statement-breakpoint
CREATE TABLE "rule_sets" (
	"version" serial PRIMARY KEY NOT NULL,
	"rules" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "savings_claims" (
	"case_id" text NOT NULL,
	"key" text NOT NULL,
	"description" text,
	"amount_per_year" bigint,
	"status" text NOT NULL,
	CONSTRAINT "savings_claims_case_id_key_pk" PRIMARY KEY("case_id","key")
);
--> statement-breakpoint
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "council_agenda" ADD CONSTRAINT "council_agenda_meeting_id_council_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."council_meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "council_agenda" ADD CONSTRAINT "council_agenda_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "frame_reservations" ADD CONSTRAINT "frame_reservations_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "portfolio_frames" ADD CONSTRAINT "portfolio_frames_portfolio_id_portfolios_id_fk" FOREIGN KEY ("portfolio_id") REFERENCES "public"."portfolios"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "savings_claims" ADD CONSTRAINT "savings_claims_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_case_step" ON "audit_events" USING btree ("case_id","case_seq");--> statement-breakpoint
CREATE INDEX "audit_events_at" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_events_actor" ON "audit_events" USING btree ("actor_id","at");--> statement-breakpoint
CREATE INDEX "audit_events_action" ON "audit_events" USING btree ("action","at");--> statement-breakpoint
CREATE INDEX "cases_stage_created" ON "cases" USING btree ("stage","created_at");--> statement-breakpoint
CREATE INDEX "cases_portfolio_created" ON "cases" USING btree ("portfolio","created_at");--> statement-breakpoint
CREATE INDEX "cases_organisation_created" ON "cases" USING btree ("organisation","created_at");--> statement-breakpoint
CREATE INDEX "cases_created" ON "cases" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "cases_text" ON "cases" USING gin (to_tsvector('simple', "id" || ' ' || "title"));--> statement-breakpoint
CREATE INDEX "frame_reservations_portfolio_year" ON "frame_reservations" USING btree ("portfolio_id","year");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_once" ON "outbox" USING btree ("case_id","seq","template","recipient");--> statement-breakpoint
CREATE INDEX "outbox_status" ON "outbox" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "reports_status_due" ON "reports" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "savings_claims_key" ON "savings_claims" USING btree ("key");