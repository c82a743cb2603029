DROP TABLE restore_items;
DROP TABLE restores;
DROP TABLE backup_retention;
DROP TABLE backup_items;
DROP TABLE backup_sets;
