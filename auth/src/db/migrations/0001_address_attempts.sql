CREATE TABLE "address_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"address" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "address_attempts_address_idx" ON "address_attempts" USING btree ("kind","address","at");--> statement-breakpoint
CREATE INDEX "address_attempts_at_idx" ON "address_attempts" USING btree ("at");