-- API key management, the audit log and monotonic metric counters (issue 13, SPEC §12).

-- Keys get a name, the first characters of the key (to tell them apart; never enough to
-- use), when they were last used (refreshed at most once a minute per API process) and an
-- optional expiry. A revoked key's row is deleted.
ALTER TABLE api_keys
  ADD COLUMN name VARCHAR(100) NOT NULL DEFAULT 'key',
  ADD COLUMN prefix VARCHAR(16) NULL,
  ADD COLUMN last_used_at BIGINT NULL,
  ADD COLUMN expires_at BIGINT NULL,
  ADD KEY api_keys_account (account_id, id);

-- Every change to webhooks and API keys: who (the acting key's id and name, copied so a
-- revoked key still reads), when, from which address, what. Never a secret.
CREATE TABLE audit_log (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  created BIGINT NOT NULL,
  action VARCHAR(40) NOT NULL,
  target_type VARCHAR(20) NOT NULL,
  target_id CHAR(20) NOT NULL,
  details TEXT NULL,
  actor_key_id CHAR(20) NULL,
  actor_key_name VARCHAR(100) NULL,
  remote_addr VARCHAR(64) NULL,
  UNIQUE KEY audit_log_id (id),
  KEY audit_log_account (account_id, seq),
  KEY audit_log_target (account_id, target_id, seq),
  KEY audit_log_created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What retention deleted, by metric and label, so the *_total counters of /metrics never
-- go down: a counter is what the retained rows hold plus this offset, and retention adds to
-- the offset in the transaction that deletes (DELETE ... RETURNING).
CREATE TABLE metric_offsets (
  metric VARCHAR(40) NOT NULL,
  label VARCHAR(40) NOT NULL,
  value BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (metric, label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- How many times each delivery reached a final status (a resent or recovered delivery can
-- reach one again), kept by the database itself on the row the worker writes anyway, so
-- linehook_deliveries_total{status} counts transitions without a hot counter row.
ALTER TABLE deliveries
  ADD COLUMN times_succeeded INT NOT NULL DEFAULT 0,
  ADD COLUMN times_failed INT NOT NULL DEFAULT 0;
UPDATE deliveries SET times_succeeded = (status = 'succeeded'), times_failed = (status = 'failed');
CREATE TRIGGER deliveries_final_insert BEFORE INSERT ON deliveries FOR EACH ROW
  SET NEW.times_succeeded = (NEW.status = 'succeeded'), NEW.times_failed = (NEW.status = 'failed');
CREATE TRIGGER deliveries_final_update BEFORE UPDATE ON deliveries FOR EACH ROW
  SET NEW.times_succeeded = OLD.times_succeeded + (NEW.status = 'succeeded' AND OLD.status <> 'succeeded'),
      NEW.times_failed = OLD.times_failed + (NEW.status = 'failed' AND OLD.status <> 'failed');
