-- Accounts, API keys, idempotency records, locations and the event outbox.
-- All times are BIGINT milliseconds since the Unix epoch (UTC).

CREATE TABLE accounts (
  id CHAR(20) NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Keys are shown once and stored only as the hex SHA-256 of the key.
CREATE TABLE api_keys (
  id CHAR(20) NOT NULL PRIMARY KEY,
  account_id CHAR(20) NOT NULL,
  key_hash CHAR(64) NOT NULL,
  created BIGINT NOT NULL,
  UNIQUE KEY api_keys_hash (key_hash),
  CONSTRAINT api_keys_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Idempotency-Key on creating POSTs: the first answer, replayed for 24 h.
CREATE TABLE idempotency_keys (
  account_id CHAR(20) NOT NULL,
  idem_key VARCHAR(255) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  status INT NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created BIGINT NOT NULL,
  PRIMARY KEY (account_id, idem_key),
  KEY idempotency_created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE locations (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  name VARCHAR(200) NOT NULL,
  timezone VARCHAR(64) NULL,
  is_waitlist_open TINYINT NOT NULL DEFAULT 1,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE KEY locations_id (id),
  KEY locations_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The transactional outbox. payload holds the exact envelope bytes that are signed and
-- sent. The worker claims rows with fanned_out = 0 in seq order (SKIP LOCKED).
CREATE TABLE events (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  location_id CHAR(20) NULL,
  type VARCHAR(40) NOT NULL,
  visit_state VARCHAR(16) NULL,
  webhook_id CHAR(20) NULL,
  payload MEDIUMBLOB NOT NULL,
  created BIGINT NOT NULL,
  fanned_out TINYINT NOT NULL DEFAULT 0,
  UNIQUE KEY events_id (id),
  KEY events_pending (fanned_out, seq),
  KEY events_account (account_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
