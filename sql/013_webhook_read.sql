-- Issue 16: a webhook is read in one indexed statement, without aggregates.

-- The location ids of a webhook, comma-separated in their order (webhook_locations.pos),
-- written in the same transaction as webhook_locations (which fan-out and the
-- per-location limits still use). '' for an account-wide webhook.
ALTER TABLE webhooks ADD COLUMN location_ids TEXT NOT NULL DEFAULT '';
SET SESSION group_concat_max_len = 1048576;
UPDATE webhooks w SET w.location_ids = COALESCE((SELECT GROUP_CONCAT(l.location_id ORDER BY l.pos, l.location_id
  SEPARATOR ',') FROM webhook_locations l WHERE l.webhook_id = w.id), '');

-- The attempts of a webhook per clock hour (hour = at DIV 3600000, UTC), counted by the
-- worker in the transaction that records the attempts (one multi-row upsert per batch).
-- stats.succeeded24h / failed24h add up the current hour and the 24 before it; the worker's
-- retention deletes rows older than two days.
CREATE TABLE webhook_stats_hourly (
  webhook_id CHAR(20) NOT NULL,
  hour BIGINT NOT NULL,
  succeeded INT UNSIGNED NOT NULL DEFAULT 0,
  failed INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (webhook_id, hour)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO webhook_stats_hourly (webhook_id, hour, succeeded, failed)
  SELECT webhook_id, at DIV 3600000, SUM(ok = 1), SUM(ok = 0) FROM delivery_attempts
  WHERE at >= (UNIX_TIMESTAMP() - 172800) * 1000 GROUP BY webhook_id, at DIV 3600000;
