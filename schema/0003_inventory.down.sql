DROP TABLE inventory_items;
DROP TABLE policy_versions;
DROP TABLE policies;
DROP TABLE policy_payloads;
ALTER TABLE provider_connections DROP COLUMN source_name;
DROP INDEX provider_connections_one_per_environment;
