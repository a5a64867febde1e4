-- The delivery worker's core (leases on the database clock, fenced recording).
-- An attempt that ended after its worker lost the lease (another worker holds the delivery
-- now) is still recorded, with superseded = 1; it leaves the delivery's state alone.
ALTER TABLE delivery_attempts ADD COLUMN superseded TINYINT NOT NULL DEFAULT 0;
