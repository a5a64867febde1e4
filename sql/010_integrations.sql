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
