-- Integrator features (SPEC §14).

-- Custom headers of a webhook: the full set sealed (AES-256-GCM under the master key,
-- aad "webhook:<id>:headers", a JSON object name -> value) for the worker, and the masked
-- set (values as "****" + their last 4 characters) for answers. NULL when there are none.
ALTER TABLE webhooks
  ADD COLUMN headers_enc BLOB NULL,
  ADD COLUMN headers_masked TEXT NULL;

-- Operational events (webhook.disabled, webhook.recovered) name the webhook they are about;
-- fan-out never delivers one to that webhook.
ALTER TABLE events ADD COLUMN subject_webhook_id CHAR(20) NULL;

-- Search (GET /v2/deliveries, a webhook's deliveries, GET /v2/events): newest or oldest
-- first by (created, seq); each filter's equality columns lead an index ending in created
-- (InnoDB appends the primary key seq), so every search is one range read. The (..., seq)
-- indexes they replace served only the lists (and a webhook's pending deliveries, which
-- the (webhook_id, status, created) index serves as well), so they go: fewer indexes to
-- maintain on every write.
ALTER TABLE deliveries
  DROP KEY deliveries_webhook,
  DROP KEY deliveries_webhook_status,
  ADD KEY deliveries_account_created (account_id, created),
  ADD KEY deliveries_account_status_created (account_id, status, created),
  ADD KEY deliveries_account_type_created (account_id, event_type, created),
  ADD KEY deliveries_webhook_created (webhook_id, created),
  ADD KEY deliveries_webhook_status_created (webhook_id, status, created);
ALTER TABLE events
  DROP KEY events_account_type,
  DROP KEY events_account_location,
  ADD KEY events_account_created (account_id, created),
  ADD KEY events_account_type_created (account_id, type, created),
  ADD KEY events_account_location_created (account_id, location_id, created);

-- Request inboxes: a built-in request bin at <public_base_url>/in/<token> for 24 hours. The
-- token is a capability like the URL of any request bin (and sits in clear in the webhook
-- that targets it), so it is stored as it is.
CREATE TABLE inboxes (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  token CHAR(22) NOT NULL,
  created BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  -- requests of the current one-minute window (the rate limit of /in/<token>)
  window_start BIGINT NOT NULL DEFAULT 0,
  window_count INT NOT NULL DEFAULT 0,
  UNIQUE KEY inboxes_id (id),
  UNIQUE KEY inboxes_token (token),
  KEY inboxes_account (account_id, expires_at),
  KEY inboxes_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The last requests of an inbox: headers as received (lowercase names; the values of the
-- target webhook's custom headers and of Authorization masked on arrival), the body, and
-- the signature check made on arrival against the secrets of the webhook targeting it.
CREATE TABLE inbox_requests (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  inbox_id CHAR(20) NOT NULL,
  received BIGINT NOT NULL,
  method VARCHAR(16) NOT NULL,
  headers TEXT NOT NULL,
  body MEDIUMBLOB NOT NULL,
  signature_check TEXT NOT NULL,
  UNIQUE KEY inbox_requests_id (id),
  KEY inbox_requests_inbox (inbox_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
