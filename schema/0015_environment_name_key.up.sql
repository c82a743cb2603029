-- Issue 17: two environments of one workspace may not have names that read the
-- same: equal after NFC normalisation and full case folding (web.NameKey).
-- SQLite cannot fold Unicode case, so Atlas computes the key and every save of
-- an environment writes it here; this index makes the second of two concurrent
-- saves of one name fail, whichever process makes them.
-- Rows already here keep a NULL key (NULLs never collide) until their next
-- save: twins an older database holds are kept as they are, and the first edit
-- of either must give it a name of its own. Nothing is renamed behind anyone's back.
ALTER TABLE managed_environments ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX managed_environments_name_key ON managed_environments (workspace_id, name_key);
