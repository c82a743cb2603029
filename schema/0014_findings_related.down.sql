DROP INDEX findings_profile_snapshot;
DROP INDEX findings_environment_policy;
