-- Issue 12: the ⌘K palette's search over every workspace, environment, policy,
-- baseline profile, finding and backup set, kept up to date by triggers. The
-- trigram tokenizer finds any substring of three or more characters through the
-- index, in any case and with or without accents.
-- rowid = kind × 2^40 + the record's id: a trigger updates or deletes its row by
-- key (FTS5's other columns are not indexed), and one kind is one rowid range.
--   1 workspace, 2 environment, 3 policy, 4 baseline profile, 5 finding, 6 backup set
CREATE VIRTUAL TABLE search_index USING fts5(
    label,
    workspace_id UNINDEXED,
    managed_environment_id UNINDEXED, -- NULL for a workspace's own records
    path UNINDEXED,                   -- after /admin/t/{environment}, or the whole path for a workspace's records
    tokenize = 'trigram remove_diacritics 1'
);

INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
SELECT 1 * 1099511627776 + id, name, id, NULL, '/admin' FROM workspaces;
INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
SELECT 2 * 1099511627776 + id, COALESCE(NULLIF(display_name, ''), name), workspace_id, id, '' FROM managed_environments;
INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
SELECT 3 * 1099511627776 + id, display_name, workspace_id, managed_environment_id, '/policies/' || id FROM policies;
INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
SELECT 4 * 1099511627776 + id, name, workspace_id, NULL, '/admin/baselines/' || slug FROM baseline_profiles;
INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
SELECT 5 * 1099511627776 + id, COALESCE(subject_display_name, subject_key), workspace_id, managed_environment_id, '/findings/' || id FROM findings;
INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
SELECT 6 * 1099511627776 + id, name, workspace_id, managed_environment_id, '/backups/' || id FROM backup_sets;

CREATE TRIGGER search_workspace_insert AFTER INSERT ON workspaces BEGIN
    INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
    VALUES (1 * 1099511627776 + NEW.id, NEW.name, NEW.id, NULL, '/admin');
END;
CREATE TRIGGER search_workspace_update AFTER UPDATE OF name ON workspaces BEGIN
    UPDATE search_index SET label = NEW.name WHERE rowid = 1 * 1099511627776 + NEW.id;
END;
CREATE TRIGGER search_workspace_delete AFTER DELETE ON workspaces BEGIN
    DELETE FROM search_index WHERE rowid = 1 * 1099511627776 + OLD.id;
END;

CREATE TRIGGER search_environment_insert AFTER INSERT ON managed_environments BEGIN
    INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
    VALUES (2 * 1099511627776 + NEW.id, COALESCE(NULLIF(NEW.display_name, ''), NEW.name), NEW.workspace_id, NEW.id, '');
END;
CREATE TRIGGER search_environment_update AFTER UPDATE OF name, display_name ON managed_environments BEGIN
    UPDATE search_index SET label = COALESCE(NULLIF(NEW.display_name, ''), NEW.name) WHERE rowid = 2 * 1099511627776 + NEW.id;
END;
CREATE TRIGGER search_environment_delete AFTER DELETE ON managed_environments BEGIN
    DELETE FROM search_index WHERE rowid = 2 * 1099511627776 + OLD.id;
END;

CREATE TRIGGER search_policy_insert AFTER INSERT ON policies BEGIN
    INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
    VALUES (3 * 1099511627776 + NEW.id, NEW.display_name, NEW.workspace_id, NEW.managed_environment_id, '/policies/' || NEW.id);
END;
CREATE TRIGGER search_policy_update AFTER UPDATE OF display_name ON policies BEGIN
    UPDATE search_index SET label = NEW.display_name WHERE rowid = 3 * 1099511627776 + NEW.id;
END;
CREATE TRIGGER search_policy_delete AFTER DELETE ON policies BEGIN
    DELETE FROM search_index WHERE rowid = 3 * 1099511627776 + OLD.id;
END;

CREATE TRIGGER search_profile_insert AFTER INSERT ON baseline_profiles BEGIN
    INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
    VALUES (4 * 1099511627776 + NEW.id, NEW.name, NEW.workspace_id, NULL, '/admin/baselines/' || NEW.slug);
END;
CREATE TRIGGER search_profile_update AFTER UPDATE OF name, slug ON baseline_profiles BEGIN
    UPDATE search_index SET label = NEW.name, path = '/admin/baselines/' || NEW.slug WHERE rowid = 4 * 1099511627776 + NEW.id;
END;
CREATE TRIGGER search_profile_delete AFTER DELETE ON baseline_profiles BEGIN
    DELETE FROM search_index WHERE rowid = 4 * 1099511627776 + OLD.id;
END;

CREATE TRIGGER search_finding_insert AFTER INSERT ON findings BEGIN
    INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
    VALUES (5 * 1099511627776 + NEW.id, COALESCE(NEW.subject_display_name, NEW.subject_key), NEW.workspace_id, NEW.managed_environment_id, '/findings/' || NEW.id);
END;
CREATE TRIGGER search_finding_update AFTER UPDATE OF subject_display_name ON findings BEGIN
    UPDATE search_index SET label = COALESCE(NEW.subject_display_name, NEW.subject_key) WHERE rowid = 5 * 1099511627776 + NEW.id;
END;
CREATE TRIGGER search_finding_delete AFTER DELETE ON findings BEGIN
    DELETE FROM search_index WHERE rowid = 5 * 1099511627776 + OLD.id;
END;

CREATE TRIGGER search_backup_insert AFTER INSERT ON backup_sets BEGIN
    INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
    VALUES (6 * 1099511627776 + NEW.id, NEW.name, NEW.workspace_id, NEW.managed_environment_id, '/backups/' || NEW.id);
END;
CREATE TRIGGER search_backup_update AFTER UPDATE OF name ON backup_sets BEGIN
    UPDATE search_index SET label = NEW.name WHERE rowid = 6 * 1099511627776 + NEW.id;
END;
CREATE TRIGGER search_backup_delete AFTER DELETE ON backup_sets BEGIN
    DELETE FROM search_index WHERE rowid = 6 * 1099511627776 + OLD.id;
END;
