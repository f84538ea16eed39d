CREATE TABLE "case_requests" (
	"request_id" text PRIMARY KEY NOT NULL,
	"case_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
