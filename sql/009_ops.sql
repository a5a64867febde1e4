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

-- What the *_total counters of /metrics keep of rows that no longer count where they are,
-- by metric and label, so the counters never go down: a counter is its rows plus this
-- offset. Retention adds what it deletes (DELETE ... RETURNING), and a resend or recover
-- what it moves out of a final status, in the transaction that does it.
CREATE TABLE metric_offsets (
  metric VARCHAR(40) NOT NULL,
  label VARCHAR(40) NOT NULL,
  value BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (metric, label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

