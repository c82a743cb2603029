-- Issue 13: the related context of a policy (its open findings) and of a
-- baseline snapshot or profile (open findings per environment) read these
-- indexes instead of every open finding of the environment (25,000 in the
-- large dataset's heavy environment: 90 ms for one policy's page).
CREATE INDEX findings_environment_policy ON findings (managed_environment_id, policy_id, status);
CREATE INDEX findings_profile_snapshot ON findings (baseline_profile_id, baseline_snapshot_id, status, managed_environment_id);
