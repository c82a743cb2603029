package access

import (
	"context"

	"atlas/app/db"
)

// Member is a user holding a role, in a workspace or in an environment.
type Member struct {
	UserID int64
	Name   string
	Email  string
	Role   Role
}

// QueryMembers runs a query selecting user id, name, email and role.
func QueryMembers(ctx context.Context, q db.Querier, query string, args ...any) ([]Member, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.UserID, &m.Name, &m.Email, &m.Role); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, rows.Err()
}
