-- Integrator features (SPEC §14).

-- Custom headers of a webhook: the full set sealed (AES-256-GCM under the master key,
-- aad "webhook:<id>:headers", a JSON object name -> value) for the worker, and the masked
-- set (values as "****" + their last 4 characters) for answers. NULL when there are none.
ALTER TABLE webhooks
  ADD COLUMN headers_enc BLOB NULL,
  ADD COLUMN headers_masked TEXT NULL;
