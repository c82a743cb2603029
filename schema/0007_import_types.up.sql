-- Issue 9: how the last sync knew each policy's type — its @odata.type
-- ('odata'), the folder or file name its tool gave it ('layout') or its shape
-- ('shape'); NULL for an object of no known type, and for policies not synced
-- since this migration. The inventory hub counts present policies by it.
ALTER TABLE policies ADD COLUMN type_source TEXT CHECK (type_source IN ('odata', 'layout', 'shape'));
CREATE INDEX policies_environment_type_source ON policies (managed_environment_id, type_source) WHERE removed_at IS NULL;

-- Which canonical form a stored payload is in (intune.CanonicalForm): when
-- canonicalisation changes (issue 9: null is absent, dates are ISO-8601 UTC),
-- Atlas rewrites the older payloads once at start-up, so that an unchanged
-- policy keeps its hash and gets no new version.
ALTER TABLE policy_payloads ADD COLUMN canonical_form INTEGER NOT NULL DEFAULT 1;
CREATE INDEX policy_payloads_canonical_form ON policy_payloads (canonical_form);
