-- Webhooks and the locations each one holds.

CREATE TABLE webhooks (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  -- AES-256-GCM under the master key, aad "webhook:<id>:secret" (nonce | ciphertext | tag)
  secret_enc VARBINARY(512) NOT NULL,
  -- the previous secret during a rotation overlap, aad "webhook:<id>:prev_secret"
  prev_secret_enc VARBINARY(512) NULL,
  prev_secret_expires BIGINT NULL,
  -- {tokenUrl, expiresIn, claims}; the private key only in oauth_key_enc (aad "webhook:<id>:oauth_key")
  oauth_json TEXT NULL,
  oauth_key_enc BLOB NULL,
  event_types TEXT NOT NULL,   -- JSON array; [] = all types
  visit_states TEXT NOT NULL,  -- JSON array of canonical states; [] = all
  account_wide TINYINT NOT NULL,
  is_active TINYINT NOT NULL DEFAULT 1,
  disabled_reason VARCHAR(255) NULL,
  disabled_at BIGINT NULL,
  description VARCHAR(200) NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE KEY webhooks_id (id),
  KEY webhooks_account (account_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE webhook_locations (
  webhook_id CHAR(20) NOT NULL,
  location_id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  PRIMARY KEY (webhook_id, location_id),
  KEY webhook_locations_location (location_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
