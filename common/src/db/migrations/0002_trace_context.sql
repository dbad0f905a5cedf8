ALTER TABLE "dead_letters" ADD COLUMN "traceparent" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "traceparent" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "tracestate" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "scheduled" boolean DEFAULT false NOT NULL;