-- Deliveries (one per event and matching webhook), their attempts, and what the worker
-- keeps on webhooks for stats and automatic disabling.

-- status: pending (waiting for its next attempt or in flight), succeeded, failed (for good,
-- resendable). A worker claims a due pending row (next_attempt_at <= now) with
-- SELECT ... FOR UPDATE SKIP LOCKED, sets lease_token and pushes next_attempt_at to the
-- lease's expiry, so a row whose worker died becomes due again when the lease ends.
-- Outcomes are written only WHERE id = ? AND lease_token = ? (fencing).
CREATE TABLE deliveries (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  webhook_id CHAR(20) NOT NULL,
  event_seq BIGINT UNSIGNED NOT NULL,
  event_id CHAR(20) NOT NULL,
  event_type VARCHAR(40) NOT NULL,
  status VARCHAR(10) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,       -- every attempt made, manual ones included
  sched_attempts INT NOT NULL DEFAULT 0, -- scheduled attempts: the position in retry_schedule
  manual TINYINT NOT NULL DEFAULT 0,     -- the next attempt was asked for by resend/recover
  next_attempt_at BIGINT NULL,
  lease_token CHAR(20) NULL,
  lease_expires BIGINT NULL,
  last_status_code INT NULL,
  last_error VARCHAR(64) NULL,
  last_attempt_at BIGINT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE KEY deliveries_id (id),
  UNIQUE KEY deliveries_event_webhook (event_seq, webhook_id),
  KEY deliveries_due (status, next_attempt_at),
  KEY deliveries_webhook (webhook_id, seq),
  KEY deliveries_webhook_status (webhook_id, status, seq),
  KEY deliveries_created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per HTTP attempt. ok = 1 for a 2xx answer. response_body: the first 4 KiB.
CREATE TABLE delivery_attempts (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  delivery_id CHAR(20) NOT NULL,
  webhook_id CHAR(20) NOT NULL,
  at BIGINT NOT NULL,
  duration_ms INT NOT NULL,
  ok TINYINT NOT NULL,
  status_code INT NULL,
  error VARCHAR(64) NULL,
  response_body BLOB NULL,
  trigger_kind VARCHAR(10) NOT NULL,
  KEY attempts_delivery (delivery_id, seq),
  KEY attempts_webhook (webhook_id, at),
  KEY attempts_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Health kept by the worker: failing_since is the first failure after the last success
-- (NULL while healthy); a webhook failing longer than disable_after_seconds is disabled.
ALTER TABLE webhooks
  ADD COLUMN last_success_at BIGINT NULL,
  ADD COLUMN last_failure_at BIGINT NULL,
  ADD COLUMN failing_since BIGINT NULL;

-- Retention deletes old fanned-out events in small batches.
ALTER TABLE events ADD KEY events_created (created);
