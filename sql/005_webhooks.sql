-- The order of a webhook's locationIds as given by the client.
ALTER TABLE webhook_locations ADD COLUMN pos INT NOT NULL DEFAULT 0;
