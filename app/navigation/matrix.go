// Package navigation is spec 131's navigation layer: the matrix of allowed
// journeys between records (as data), the related-context sections of detail
// pages, list-row drill-down actions, canonical links to the operations pages,
// and the states of relations that cannot be opened. It computes; the domain
// packages look the records up and render what it returns.
package navigation

import "fmt"

// SourceSurface is where on a page a navigation starts (spec 131).
type SourceSurface string

const (
	DetailSection SourceSurface = "detail_section"
	DetailHeader  SourceSurface = "detail_header"
	ListRow       SourceSurface = "list_row"
	CanonicalList SourceSurface = "canonical_list"
)

// TargetMode is what kind of page a rule leads to.
type TargetMode string

const (
	DirectRecord  TargetMode = "direct_record"
	FilteredList  TargetMode = "filtered_list"
	CanonicalPage TargetMode = "canonical_page"
)

// MissingStatePolicy is what a page shows when a rule's target cannot be opened.
type MissingStatePolicy string

const (
	Hide              MissingStatePolicy = "hide"
	ShowUnavailable   MissingStatePolicy = "show_unavailable"
	ShowReferenceOnly MissingStatePolicy = "show_reference_only"
)

// Record and page types: the source_type and target_type of the rules.
const (
	Policy           = "policy"
	PolicyVersion    = "policy_version"
	InventoryItem    = "inventory_item"
	BaselineProfile  = "baseline_profile"
	BaselineSnapshot = "baseline_snapshot"
	Finding          = "finding"
	Findings         = "findings" // an environment's findings list
	BackupSet        = "backup_set"
	BackupArtifact   = "backup_artifact" // a set's download
	Restore          = "restore"
	OperationRun     = "operation_run"
	OperationsFeed   = "operations_feed" // the canonical operations list
	Environment      = "environment"
)

// NavigationMatrixRule is one allowed journey (spec 131).
type NavigationMatrixRule struct {
	SourceType              string
	SourceSurface           SourceSurface
	RelationKey             string
	TargetType              string
	TargetMode              TargetMode
	Label                   string
	Priority                int // lower is more visible
	RequiresCapabilityCheck bool
	MissingStatePolicy      MissingStatePolicy
}

// Matrix is every in-scope relation of spec 131, one rule each. A page renders a
// link between records only through a rule of this table (Rule panics otherwise).
var Matrix = []NavigationMatrixRule{
	{PolicyVersion, DetailSection, "parent_policy", Policy, DirectRecord, "Policy", 1, true, ShowReferenceOnly},
	{PolicyVersion, DetailSection, "source_run", OperationRun, CanonicalPage, "Captured by", 2, false, ShowUnavailable},
	{PolicyVersion, DetailSection, "snapshot_evidence", BaselineSnapshot, DirectRecord, "In baseline", 3, false, Hide},
	{PolicyVersion, DetailSection, "backup_evidence", BackupSet, DirectRecord, "In backup", 4, false, Hide},

	{Policy, DetailSection, "latest_version", PolicyVersion, DirectRecord, "Latest version", 1, false, Hide},
	{Policy, DetailSection, "source_run", OperationRun, CanonicalPage, "Last captured by", 2, false, ShowUnavailable},
	{Policy, DetailSection, "findings", Finding, DirectRecord, "Finding", 3, false, Hide},

	{BaselineProfile, DetailSection, "latest_snapshot", BaselineSnapshot, DirectRecord, "Latest snapshot", 1, false, Hide},
	{BaselineProfile, DetailSection, "findings", Findings, FilteredList, "Findings", 2, true, Hide},
	{BaselineProfile, DetailSection, "compare_runs", OperationsFeed, CanonicalPage, "Compares", 3, false, Hide},

	{BaselineSnapshot, DetailSection, "baseline_profile", BaselineProfile, DirectRecord, "Baseline", 1, false, ShowUnavailable},
	{BaselineSnapshot, DetailSection, "source_run", OperationRun, CanonicalPage, "Captured by", 2, false, ShowUnavailable},
	{BaselineSnapshot, DetailSection, "source_environment", Environment, DirectRecord, "Captured from", 3, true, ShowReferenceOnly},
	{BaselineSnapshot, DetailSection, "findings", Findings, FilteredList, "Findings", 4, true, Hide},
	{BaselineSnapshot, DetailSection, "compares", OperationRun, CanonicalPage, "Compared by", 5, false, Hide},

	{Finding, DetailSection, "policy", Policy, DirectRecord, "Policy", 1, false, ShowUnavailable},
	{Finding, DetailSection, "policy_version", PolicyVersion, DirectRecord, "Version compared", 2, false, ShowUnavailable},
	{Finding, DetailSection, "baseline_snapshot", BaselineSnapshot, DirectRecord, "Baseline snapshot", 3, false, ShowUnavailable},
	{Finding, DetailSection, "baseline_profile", BaselineProfile, DirectRecord, "Baseline", 4, false, ShowUnavailable},
	{Finding, DetailSection, "inventory_item", InventoryItem, FilteredList, "Inventory", 5, false, Hide},
	{Finding, DetailSection, "baseline_run", OperationRun, CanonicalPage, "Baseline captured by", 6, false, ShowUnavailable},
	{Finding, DetailSection, "current_run", OperationRun, CanonicalPage, "Last compared by", 7, false, ShowUnavailable},

	{BackupSet, DetailSection, "source_run", OperationRun, CanonicalPage, "Taken by", 1, false, ShowUnavailable},
	{BackupSet, DetailSection, "artifact", BackupArtifact, DirectRecord, "Download", 2, false, Hide},
	{BackupSet, DetailSection, "restores", OperationRun, CanonicalPage, "Restored by", 3, false, Hide},
	{BackupSet, DetailSection, "taken_before", OperationRun, CanonicalPage, "Taken before", 4, false, Hide},

	{OperationRun, DetailSection, "environment", Environment, DirectRecord, "Environment", 1, true, ShowUnavailable},
	{OperationRun, DetailSection, "changed_policies", PolicyVersion, DirectRecord, "Changed", 2, true, Hide},
	{OperationRun, DetailSection, "backup_set", BackupSet, DirectRecord, "Backup set", 2, true, ShowUnavailable},
	{OperationRun, DetailSection, "restore", Restore, DirectRecord, "Restore of", 2, true, ShowUnavailable},
	{OperationRun, DetailSection, "baseline_profile", BaselineProfile, DirectRecord, "Baseline", 3, false, ShowUnavailable},
	{OperationRun, DetailSection, "baseline_snapshot", BaselineSnapshot, DirectRecord, "Snapshot", 4, false, ShowUnavailable},
	{OperationRun, DetailSection, "findings", Findings, FilteredList, "Findings", 5, true, Hide},
	{OperationRun, DetailSection, "retry_of", OperationRun, CanonicalPage, "Retry of", 6, false, ShowUnavailable},
	{OperationRun, DetailSection, "retried_as", OperationRun, CanonicalPage, "Retried as", 7, false, Hide},
	{OperationRun, DetailSection, "undone_by", OperationRun, CanonicalPage, "Undone by", 8, false, ShowUnavailable},

	{Environment, DetailSection, "operations", OperationsFeed, CanonicalPage, "Operations", 1, false, Hide},
	{Environment, DetailSection, "sync_runs", OperationsFeed, CanonicalPage, "Inventory syncs", 2, false, Hide},
	{Environment, DetailSection, "backup_sets", BackupSet, FilteredList, "Backups", 3, false, Hide},

	{Policy, ListRow, "latest_version", PolicyVersion, DirectRecord, "Latest version", 1, false, Hide},
	{Policy, ListRow, "diff", PolicyVersion, FilteredList, "Compare versions", 2, false, Hide},
	{Policy, ListRow, "compare", Policy, FilteredList, "Compare with another policy", 3, false, Hide},
	{Finding, ListRow, "policy", Policy, DirectRecord, "Policy", 1, false, Hide},
	{Finding, ListRow, "baseline_snapshot", BaselineSnapshot, DirectRecord, "Baseline snapshot", 2, false, Hide},
	{Finding, ListRow, "current_run", OperationRun, CanonicalPage, "Last compare", 3, false, Hide},
	{BackupSet, ListRow, "restore", Restore, DirectRecord, "Restore…", 1, false, Hide},
	{BackupSet, ListRow, "artifact", BackupArtifact, DirectRecord, "Download", 2, false, Hide},
	{BackupSet, ListRow, "source_run", OperationRun, CanonicalPage, "Taken by run", 3, false, Hide},
	{BaselineProfile, ListRow, "latest_snapshot", BaselineSnapshot, DirectRecord, "Latest snapshot", 1, false, Hide},
	{BaselineProfile, ListRow, "compare_runs", OperationsFeed, CanonicalPage, "Compares", 2, false, Hide},
	{BaselineSnapshot, ListRow, "source_run", OperationRun, CanonicalPage, "Captured by", 1, false, ShowUnavailable},
}

type ruleKey struct {
	source  string
	surface SourceSurface
	key     string
}

var rules = index(Matrix)

func index(matrix []NavigationMatrixRule) map[ruleKey]NavigationMatrixRule {
	m := make(map[ruleKey]NavigationMatrixRule, len(matrix))
	for _, r := range matrix {
		k := ruleKey{r.SourceType, r.SourceSurface, r.RelationKey}
		if _, dup := m[k]; dup {
			panic(fmt.Sprintf("navigation: two rules for %s %s %s", k.source, k.surface, k.key))
		}
		m[k] = r
	}
	return m
}

// Rule is the one rule of a relation. A relation without a rule is a
// programming error: it panics, so a page that renders one fails its tests.
func Rule(sourceType string, surface SourceSurface, relationKey string) NavigationMatrixRule {
	r, ok := rules[ruleKey{sourceType, surface, relationKey}]
	if !ok {
		panic(fmt.Sprintf("navigation: no matrix rule for %s %s %s", sourceType, surface, relationKey))
	}
	return r
}
