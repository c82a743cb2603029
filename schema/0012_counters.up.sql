-- Issue 13: the hub, an environment's dashboard, the findings list, the
-- inventory hub and the policies list read counters, not every row they count.
-- Triggers keep each counter in the same transaction as every change, whichever
-- code makes it (compares, triage, syncs, the demo, deletes and their cascades);
-- this migration builds them from the rows already there.

-- An environment's findings by status and severity (a row may hold 0).
CREATE TABLE finding_counts (
    managed_environment_id INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    severity               TEXT NOT NULL,
    findings               INTEGER NOT NULL,
    PRIMARY KEY (managed_environment_id, status, severity)
) WITHOUT ROWID;

INSERT INTO finding_counts (managed_environment_id, status, severity, findings)
SELECT managed_environment_id, status, severity, count(*) FROM findings GROUP BY managed_environment_id, status, severity;

CREATE TRIGGER finding_counts_insert AFTER INSERT ON findings BEGIN
    INSERT INTO finding_counts VALUES (NEW.managed_environment_id, NEW.status, NEW.severity, 1)
    ON CONFLICT DO UPDATE SET findings = findings + 1;
END;

CREATE TRIGGER finding_counts_update AFTER UPDATE OF managed_environment_id, status, severity ON findings
WHEN OLD.managed_environment_id <> NEW.managed_environment_id OR OLD.status <> NEW.status OR OLD.severity <> NEW.severity BEGIN
    UPDATE finding_counts SET findings = findings - 1
    WHERE managed_environment_id = OLD.managed_environment_id AND status = OLD.status AND severity = OLD.severity;
    INSERT INTO finding_counts VALUES (NEW.managed_environment_id, NEW.status, NEW.severity, 1)
    ON CONFLICT DO UPDATE SET findings = findings + 1;
END;

CREATE TRIGGER finding_counts_delete AFTER DELETE ON findings BEGIN
    UPDATE finding_counts SET findings = findings - 1
    WHERE managed_environment_id = OLD.managed_environment_id AND status = OLD.status AND severity = OLD.severity;
END;

-- The dashboard's trend of open findings: per (environment, UTC day of the
-- event), how many findings its transitions left open (open or acknowledged)
-- minus how many they closed. An event changes its finding from from_status
-- (NULL for the first) to to_status, so a day's figure is the sum of its
-- events' shares and the open count at the end of a day is the sum up to it.
CREATE TABLE finding_open_days (
    managed_environment_id INTEGER NOT NULL,
    day                    TEXT NOT NULL, -- substr(created_at, 1, 10)
    opened                 INTEGER NOT NULL,
    PRIMARY KEY (managed_environment_id, day)
) WITHOUT ROWID;

INSERT INTO finding_open_days (managed_environment_id, day, opened)
SELECT managed_environment_id, substr(created_at, 1, 10),
       sum((to_status IN ('open', 'acknowledged')) - (COALESCE(from_status, '') IN ('open', 'acknowledged')))
FROM finding_events GROUP BY managed_environment_id, substr(created_at, 1, 10);

CREATE TRIGGER finding_open_days_insert AFTER INSERT ON finding_events BEGIN
    INSERT INTO finding_open_days VALUES (NEW.managed_environment_id, substr(NEW.created_at, 1, 10),
        (NEW.to_status IN ('open', 'acknowledged')) - (COALESCE(NEW.from_status, '') IN ('open', 'acknowledged')))
    ON CONFLICT DO UPDATE SET opened = opened + excluded.opened;
END;

CREATE TRIGGER finding_open_days_update AFTER UPDATE OF managed_environment_id, created_at, from_status, to_status ON finding_events BEGIN
    UPDATE finding_open_days SET opened = opened - ((OLD.to_status IN ('open', 'acknowledged')) - (COALESCE(OLD.from_status, '') IN ('open', 'acknowledged')))
    WHERE managed_environment_id = OLD.managed_environment_id AND day = substr(OLD.created_at, 1, 10);
    INSERT INTO finding_open_days VALUES (NEW.managed_environment_id, substr(NEW.created_at, 1, 10),
        (NEW.to_status IN ('open', 'acknowledged')) - (COALESCE(NEW.from_status, '') IN ('open', 'acknowledged')))
    ON CONFLICT DO UPDATE SET opened = opened + excluded.opened;
END;

CREATE TRIGGER finding_open_days_delete AFTER DELETE ON finding_events BEGIN
    UPDATE finding_open_days SET opened = opened - ((OLD.to_status IN ('open', 'acknowledged')) - (COALESCE(OLD.from_status, '') IN ('open', 'acknowledged')))
    WHERE managed_environment_id = OLD.managed_environment_id AND day = substr(OLD.created_at, 1, 10);
END;

-- The dashboard's latest findings: an environment's, most recently seen first.
CREATE INDEX findings_environment_seen ON findings (managed_environment_id, last_seen_at DESC, id DESC);

-- An environment's policies by presence, type, platform and how the type was
-- known (the inventory hub's facets, the policies list's total): a few dozen
-- rows where the environment has tens of thousands of policies. A sync rewrites
-- every policy it sees: the WHEN clause leaves the counters alone unless a
-- counted column really changes.
CREATE TABLE policy_counts (
    managed_environment_id INTEGER NOT NULL,
    present                INTEGER NOT NULL, -- removed_at IS NULL
    policy_type            TEXT NOT NULL,
    platform               TEXT NOT NULL,
    type_source            TEXT NOT NULL,    -- '' for NULL
    policies               INTEGER NOT NULL,
    PRIMARY KEY (managed_environment_id, present, policy_type, platform, type_source)
) WITHOUT ROWID;

INSERT INTO policy_counts (managed_environment_id, present, policy_type, platform, type_source, policies)
SELECT managed_environment_id, removed_at IS NULL, policy_type, platform, COALESCE(type_source, ''), count(*)
FROM policies GROUP BY managed_environment_id, removed_at IS NULL, policy_type, platform, COALESCE(type_source, '');

CREATE TRIGGER policy_counts_insert AFTER INSERT ON policies BEGIN
    INSERT INTO policy_counts VALUES (NEW.managed_environment_id, NEW.removed_at IS NULL, NEW.policy_type, NEW.platform, COALESCE(NEW.type_source, ''), 1)
    ON CONFLICT DO UPDATE SET policies = policies + 1;
END;

CREATE TRIGGER policy_counts_update AFTER UPDATE OF managed_environment_id, removed_at, policy_type, platform, type_source ON policies
WHEN OLD.managed_environment_id <> NEW.managed_environment_id OR (OLD.removed_at IS NULL) <> (NEW.removed_at IS NULL)
    OR OLD.policy_type <> NEW.policy_type OR OLD.platform <> NEW.platform OR OLD.type_source IS NOT NEW.type_source BEGIN
    UPDATE policy_counts SET policies = policies - 1
    WHERE managed_environment_id = OLD.managed_environment_id AND present = (OLD.removed_at IS NULL) AND policy_type = OLD.policy_type
        AND platform = OLD.platform AND type_source = COALESCE(OLD.type_source, '');
    INSERT INTO policy_counts VALUES (NEW.managed_environment_id, NEW.removed_at IS NULL, NEW.policy_type, NEW.platform, COALESCE(NEW.type_source, ''), 1)
    ON CONFLICT DO UPDATE SET policies = policies + 1;
END;

CREATE TRIGGER policy_counts_delete AFTER DELETE ON policies BEGIN
    UPDATE policy_counts SET policies = policies - 1
    WHERE managed_environment_id = OLD.managed_environment_id AND present = (OLD.removed_at IS NULL) AND policy_type = OLD.policy_type
        AND platform = OLD.platform AND type_source = COALESCE(OLD.type_source, '');
END;

-- An environment's inventory items by coverage class (the inventory hub's chips).
CREATE TABLE inventory_coverage_counts (
    managed_environment_id INTEGER NOT NULL,
    coverage               TEXT NOT NULL,
    items                  INTEGER NOT NULL,
    PRIMARY KEY (managed_environment_id, coverage)
) WITHOUT ROWID;

INSERT INTO inventory_coverage_counts (managed_environment_id, coverage, items)
SELECT managed_environment_id, coverage, count(*) FROM inventory_items GROUP BY managed_environment_id, coverage;

CREATE TRIGGER inventory_coverage_counts_insert AFTER INSERT ON inventory_items BEGIN
    INSERT INTO inventory_coverage_counts VALUES (NEW.managed_environment_id, NEW.coverage, 1)
    ON CONFLICT DO UPDATE SET items = items + 1;
END;

CREATE TRIGGER inventory_coverage_counts_update AFTER UPDATE OF managed_environment_id, coverage ON inventory_items
WHEN OLD.managed_environment_id <> NEW.managed_environment_id OR OLD.coverage <> NEW.coverage BEGIN
    UPDATE inventory_coverage_counts SET items = items - 1
    WHERE managed_environment_id = OLD.managed_environment_id AND coverage = OLD.coverage;
    INSERT INTO inventory_coverage_counts VALUES (NEW.managed_environment_id, NEW.coverage, 1)
    ON CONFLICT DO UPDATE SET items = items + 1;
END;

CREATE TRIGGER inventory_coverage_counts_delete AFTER DELETE ON inventory_items BEGIN
    UPDATE inventory_coverage_counts SET items = items - 1
    WHERE managed_environment_id = OLD.managed_environment_id AND coverage = OLD.coverage;
END;

-- The operations feed of one environment filtered by outcome, newest first:
-- the workspace's outcome index made it read every failed run of the other
-- environments too (20 ms on the heavy workspace).
CREATE INDEX operation_runs_environment_outcome_created ON operation_runs (managed_environment_id, outcome, created_at DESC, id DESC);
