ALTER TABLE provider_connections DROP COLUMN connected_by_user_id;
