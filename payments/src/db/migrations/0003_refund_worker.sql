CREATE TABLE "refunds" (
	"payment_id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"charge_id" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"provider_refund_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"refunded_at" timestamp with time zone,
	CONSTRAINT "refunds_status_check" CHECK ("refunds"."status" in ('pending', 'succeeded')),
	CONSTRAINT "refunds_amount_cents_check" CHECK ("refunds"."amount_cents" > 0),
	CONSTRAINT "refunds_succeeded_check" CHECK (("refunds"."status" = 'succeeded') = ("refunds"."provider_refund_id" is not null and "refunds"."refunded_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "sandbox_charges" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"status" text NOT NULL,
	"charge_id" text,
	"decline_message" text,
	"amount_cents" integer NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sandbox_charges_status_check" CHECK ("sandbox_charges"."status" in ('succeeded', 'declined')),
	CONSTRAINT "sandbox_charges_refunded_cents_check" CHECK ("sandbox_charges"."refunded_cents" between 0 and "sandbox_charges"."amount_cents")
);
--> statement-breakpoint
CREATE TABLE "sandbox_refunds" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"refund_id" text NOT NULL,
	"charge_id" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_idempotency_key_idx" ON "refunds" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "refunds_pending_next_attempt_at_idx" ON "refunds" USING btree ("next_attempt_at") WHERE "refunds"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_charges_charge_id_idx" ON "sandbox_charges" USING btree ("charge_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_refunds_refund_id_idx" ON "sandbox_refunds" USING btree ("refund_id");--> statement-breakpoint
CREATE INDEX "sandbox_refunds_charge_id_idx" ON "sandbox_refunds" USING btree ("charge_id");--> statement-breakpoint
-- Charges left standing on cancelled orders by the refund that used to run inside the order.cancelled consumer (its event dead-lettered after the provider kept failing) become owed refunds, with the key that refund used.
INSERT INTO "refunds" ("payment_id", "order_id", "charge_id", "amount_cents", "idempotency_key") SELECT "payments"."id", "payments"."order_id", "payments"."provider_charge_id", "payments"."amount_cents", 'refund_' || "payments"."id" FROM "payments" JOIN "orders" ON "orders"."id" = "payments"."order_id" WHERE "payments"."status" = 'succeeded' AND "orders"."status" = 'cancelled' AND "payments"."provider_charge_id" IS NOT NULL;