-- Issue 17: a connected folder is checked again at every sync, with the
-- standing of whoever chose it (the local owner may choose any folder apart
-- from the data folder, anyone else only one under an export root). Existing
-- connections take it from the audit trail of their last change.
ALTER TABLE provider_connections ADD COLUMN connected_by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
UPDATE provider_connections SET connected_by_user_id = (SELECT a.user_id FROM audit_events a
    WHERE a.action = 'connection.saved' AND a.record_type = 'provider_connection' AND a.record_id = provider_connections.id
    ORDER BY a.id DESC LIMIT 1);
