DROP INDEX managed_environments_name_key;
ALTER TABLE managed_environments DROP COLUMN name_key;
