DROP TABLE user_sessions;
DROP TABLE export_roots;
ALTER TABLE users DROP COLUMN is_site_admin;
