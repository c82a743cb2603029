-- Issue 13: the hub, an environment's dashboard and the findings list read
-- counts, not findings. Triggers keep both tables in the same transaction as
-- every change, whichever code makes it (compares, triage, the demo, deletes
-- and their cascades); this migration builds them from the rows already there.

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
