-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner creates it without being superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX "tickets_for_sale_title_trgm_idx" ON "tickets" USING gin ("title" gin_trgm_ops) WITH (fastupdate=false) WHERE "tickets"."order_id" is null and "tickets"."sold_at" is null;