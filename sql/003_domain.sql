-- The waitlist domain: visits and messages, the location status timestamp, and the
-- indexes GET /v2/events filters on. All times are BIGINT epoch milliseconds (UTC).

-- When a value of the location status (isWaitlistOpen or a count) last changed.
ALTER TABLE locations ADD COLUMN status_updated BIGINT NOT NULL DEFAULT 0;

CREATE TABLE visits (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  location_id CHAR(20) NOT NULL,
  state VARCHAR(16) NOT NULL,       -- canonical: PENDING DRAFT BOOKED WAITING SERVED COMPLETE
  first_name VARCHAR(100) NULL,
  last_name VARCHAR(100) NULL,
  phone VARCHAR(32) NULL,
  email VARCHAR(254) NULL,
  party_size INT NOT NULL DEFAULT 1,
  notes TEXT NULL,
  visit_date BIGINT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE KEY visits_id (id),
  KEY visits_account (account_id, seq),
  KEY visits_location_state (location_id, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE messages (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(20) NOT NULL,
  account_id CHAR(20) NOT NULL,
  visit_id CHAR(20) NOT NULL,
  location_id CHAR(20) NOT NULL,
  channel VARCHAR(8) NOT NULL,      -- SMS or EMAIL
  content TEXT NOT NULL,
  state VARCHAR(16) NOT NULL,       -- PENDING SENT DELIVERED FAILED
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE KEY messages_id (id),
  KEY messages_account (account_id, seq),
  KEY messages_visit (visit_id),
  KEY messages_location (location_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- GET /v2/events?type=&locationId=: the account's events in seq order, filtered.
ALTER TABLE events ADD KEY events_account_type (account_id, type, seq),
                   ADD KEY events_account_location (account_id, location_id, seq);
