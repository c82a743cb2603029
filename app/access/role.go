// Package access decides who may see and do what (DESIGN §4): roles map to
// capabilities, and the resolver makes every 404/403 decision in one place.
package access

import (
	"fmt"
	"slices"
)

// Role is a workspace (or environment) membership role.
type Role string

const (
	Owner    Role = "owner"
	Manager  Role = "manager"
	Operator Role = "operator"
	Readonly Role = "readonly"
)

// Roles lists the roles from most to least powerful.
var Roles = []Role{Owner, Manager, Operator, Readonly}

// ParseRole accepts exactly one of the four role names.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("invalid role %q: use owner, manager, operator or readonly", s)
	}
	return r, nil
}

func (r Role) rank() int { return len(Roles) - slices.Index(Roles, r) }

// lower returns the less powerful of two roles.
func lower(a, b Role) Role {
	if a.rank() < b.rank() {
		return a
	}
	return b
}

// seesAllEnvironments: owners and managers are entitled to every environment of their
// workspace; operators and readonly members only to those they have a membership in.
func (r Role) seesAllEnvironments() bool { return r == Owner || r == Manager }

// Capability is something a role may do.
type Capability string

const (
	View               Capability = "view"
	ManageWorkspace    Capability = "workspace.manage"    // rename, archive
	ManageMembers      Capability = "members.manage"      // workspace members
	ManageEnvironments Capability = "environments.manage" // environments, their members and connections
	RunOperations      Capability = "operations.run"      // sync, backup, compare
	RunRestore         Capability = "restore.run"
	TriageFindings     Capability = "findings.triage"  // acknowledge findings
	AcceptExceptions   Capability = "findings.accept"  // accept a finding as an exception until a date
	ManageBaselines    Capability = "baselines.manage" // profiles, captures, pinned matches
	ViewAudit          Capability = "audit.view"

	// Above workspaces (DESIGN §4): site administrators, the local owner always.
	ManageSite     Capability = "site.manage" // create workspaces, manage users and export roots
	GrantSiteAdmin Capability = "site.grant"  // make or unmake site administrators: the local owner only

	// NeedOfType is a route's need when it depends on an operation type (DESIGN §6):
	// the resolver checks what starting that type needs, the run's own type
	// (cancel, retry) or the type a start form names. No role is granted it as such.
	NeedOfType Capability = "operation-type"
)

// grants is the whole role → capability table of DESIGN §4.
var grants = map[Role][]Capability{
	Owner:    {View, ManageWorkspace, ManageMembers, ManageEnvironments, RunOperations, RunRestore, TriageFindings, AcceptExceptions, ManageBaselines, ViewAudit},
	Manager:  {View, ManageEnvironments, RunOperations, RunRestore, TriageFindings, AcceptExceptions, ManageBaselines, ViewAudit},
	Operator: {View, RunOperations, TriageFindings},
	Readonly: {View},
}

// Can reports whether the role grants c.
func (r Role) Can(c Capability) bool { return slices.Contains(grants[r], c) }

// Why says which role an action needs, for disabled buttons and 403 pages.
func (r Role) Why(c Capability) string {
	if r.Can(c) {
		return ""
	}
	for i := len(Roles) - 1; i >= 0; i-- {
		if Roles[i].Can(c) {
			return fmt.Sprintf("Needs the %s role (you are %s)", Roles[i], r)
		}
	}
	return "Not available"
}
