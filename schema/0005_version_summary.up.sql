-- Issue 5: a version's one-line change summary against the version before it
-- ("3 settings changed, 1 added"), stored so that a policy's timeline never
-- diffs its whole history on a page load. NULL: not computed yet (the first
-- version has none; older rows are filled when their timeline is shown).
ALTER TABLE policy_versions ADD COLUMN change_summary TEXT;
