ALTER TABLE policy_versions DROP COLUMN change_summary;
