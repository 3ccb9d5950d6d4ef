package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

const userColumns = `id, org_id, email, name, role, password_hash, created_at`

func scanUser(row pgx.Row) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// emailKey is the form e-mails are compared in (the same in both backends,
// so uniqueness does not depend on the database's collation).
func emailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// UserInsert creates a user. ErrConflict if the id or the e-mail is taken;
// ErrNotFound if the organization does not exist.
func (s *Store) UserInsert(ctx context.Context, u *store.User) error {
	u.CreatedAt = orNow(u.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO users (id, org_id, email, email_key, name, role, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.OrgID, u.Email, emailKey(u.Email), u.Name, string(u.Role), u.PasswordHash, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert user %s: %w", u.ID, err)
	}
	return nil
}

// UserGet returns a user of org by id; ErrNotFound when missing or in
// another organization.
func (s *Store) UserGet(ctx context.Context, orgID, id string) (*store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, interpretError(err))
	}
	return u, nil
}

// UserGetByEmail returns a user by e-mail (case-insensitive), in any
// organization; ErrNotFound when missing.
func (s *Store) UserGetByEmail(ctx context.Context, email string) (*store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1`, emailKey(email)))
	if err != nil {
		return nil, fmt.Errorf("get user by e-mail: %w", interpretError(err))
	}
	return u, nil
}

// UserList returns the users of org ordered by e-mail.
func (s *Store) UserList(ctx context.Context, orgID string) ([]*store.User, error) {
	out, err := queryList(ctx, s.pool, scanUser,
		`SELECT `+userColumns+` FROM users WHERE org_id = $1 ORDER BY email_key COLLATE "C", id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserUpdate updates Name, Role and PasswordHash of a user of u.OrgID;
// ErrNotFound when missing.
func (s *Store) UserUpdate(ctx context.Context, u *store.User) error {
	err := s.execOne(ctx, `UPDATE users SET name = $1, role = $2, password_hash = $3 WHERE org_id = $4 AND id = $5`,
		u.Name, string(u.Role), u.PasswordHash, u.OrgID, u.ID)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	return nil
}

// UserDelete deletes a user of org with its API keys, sessions and
// notifications; ErrNotFound when missing.
func (s *Store) UserDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM users WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	return nil
}
