-- One row per running delivery worker (its heartbeat, SPEC §7, §12). The worker inserts its
-- row at start, sets last_seen every few seconds from the database's clock
-- (UNIX_TIMESTAMP(NOW(3)) * 1000), and deletes it on a clean stop. /v2/health counts the rows
-- seen within 30 s; per-webhook rate shares divide by the same count.
CREATE TABLE workers (
  id CHAR(20) NOT NULL PRIMARY KEY,
  host VARCHAR(255) NOT NULL,
  pid INT NOT NULL,
  version VARCHAR(32) NOT NULL,
  started BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  KEY workers_last_seen (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
