DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE baseline_match_pins;
DROP TABLE baseline_snapshot_items;
DROP TABLE baseline_snapshots;
DROP TABLE baseline_profiles;
