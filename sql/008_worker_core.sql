-- The delivery worker's core (leases on the database clock, fenced recording).
-- An attempt that ended after its worker lost the lease (another worker holds the delivery
-- now) is still recorded, with superseded = 1; it leaves the delivery's state alone.
ALTER TABLE delivery_attempts ADD COLUMN superseded TINYINT NOT NULL DEFAULT 0;

-- Per-endpoint ordering and rate (SPEC §5, §7). ordering 'fifo': one delivery in flight, in
-- event-commit order (the claim sends a webhook's pending delivery only when none with a
-- lower event_seq is pending: deliveries_fifo serves that check). rate_limit: deliveries per
-- second across all workers, NULL for none.
ALTER TABLE webhooks
  ADD COLUMN ordering VARCHAR(8) NOT NULL DEFAULT 'none',
  ADD COLUMN rate_limit INT NULL;
ALTER TABLE deliveries ADD KEY deliveries_fifo (webhook_id, status, event_seq);
