-- The location status counts kept on the location row: each visit write adjusts them in
-- its transaction, under the location row lock it already takes, so reading the status is
-- O(1) instead of an aggregate over the location's visits. Backfilled from the visits.
ALTER TABLE locations ADD COLUMN num_waiting INT NOT NULL DEFAULT 0,
                      ADD COLUMN num_serving INT NOT NULL DEFAULT 0,
                      ADD COLUMN num_booked INT NOT NULL DEFAULT 0;

UPDATE locations l JOIN (
  SELECT location_id, SUM(state = 'WAITING') w, SUM(state = 'SERVED') s, SUM(state = 'BOOKED') b
  FROM visits WHERE state IN ('WAITING', 'SERVED', 'BOOKED') GROUP BY location_id
) c ON c.location_id = l.id
SET l.num_waiting = c.w, l.num_serving = c.s, l.num_booked = c.b;
