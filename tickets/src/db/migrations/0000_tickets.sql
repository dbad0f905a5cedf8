CREATE TABLE "finished_orders" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"ticket_id" uuid NOT NULL,
	"outcome" text NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "finished_orders_outcome" CHECK ("finished_orders"."outcome" in ('cancelled', 'completed'))
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"price_cents" integer NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"order_id" uuid,
	"sold_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_price_cents_range" CHECK ("tickets"."price_cents" > 0 and "tickets"."price_cents" <= 100000000),
	CONSTRAINT "tickets_sold_has_order" CHECK ("tickets"."sold_at" is null or "tickets"."order_id" is not null)
);
--> statement-breakpoint
CREATE INDEX "tickets_for_sale_idx" ON "tickets" USING btree ("created_at","id") WHERE "tickets"."order_id" is null and "tickets"."sold_at" is null;