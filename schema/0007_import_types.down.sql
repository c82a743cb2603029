DROP INDEX policy_payloads_canonical_form;
ALTER TABLE policy_payloads DROP COLUMN canonical_form;
DROP INDEX policies_environment_type_source;
ALTER TABLE policies DROP COLUMN type_source;
