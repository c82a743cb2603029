DROP TABLE audit_events;
DROP TABLE operation_runs;
DROP TABLE provider_connections;
DROP TABLE managed_environment_memberships;
DROP TABLE managed_environments;
DROP TABLE workspace_memberships;
DROP TABLE workspaces;
DROP TABLE users;
