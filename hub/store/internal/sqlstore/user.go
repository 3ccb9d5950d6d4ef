package sqlstore

import (
	"context"
	"fmt"

	"github.com/exporthub/exporthub/hub/store"
)

const userColumns = `id, org_id, email, name, role, password_hash, created_at`

func scanUser(row Row) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, TimeDest(&u.CreatedAt)); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserInsert creates a user. ErrConflict if the id or the e-mail is taken;
// ErrNotFound if the organization does not exist.
func (s *Store) UserInsert(ctx context.Context, u *store.User) error {
	u.CreatedAt = OrNow(u.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO users (id, org_id, email, email_key, name, role, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Email, store.EmailKey(u.Email), u.Name, string(u.Role), u.PasswordHash, s.d.TimeFunc(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert user %s: %w", u.ID, err)
	}
	return nil
}

// UserGet returns a user of org by id; ErrNotFound when missing or in
// another organization.
func (s *Store) UserGet(ctx context.Context, orgID, id string) (*store.User, error) {
	u, err := Get(ctx, s, s.db.Read, scanUser, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// UserGetByEmail returns a user by e-mail (case-insensitive), in any
// organization; ErrNotFound when missing.
func (s *Store) UserGetByEmail(ctx context.Context, email string) (*store.User, error) {
	u, err := Get(ctx, s, s.db.Read, scanUser, `SELECT `+userColumns+` FROM users WHERE email_key = ?`, store.EmailKey(email))
	if err != nil {
		return nil, fmt.Errorf("get user by e-mail: %w", err)
	}
	return u, nil
}

// UserList returns the users of org ordered by e-mail.
func (s *Store) UserList(ctx context.Context, orgID string) ([]*store.User, error) {
	out, err := List(ctx, s, s.db.Read, scanUser,
		`SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY email_key`+s.d.Collate+`, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserUpdate updates Name, Role and PasswordHash of a user of u.OrgID;
// ErrNotFound when missing.
func (s *Store) UserUpdate(ctx context.Context, u *store.User) error {
	err := s.execOne(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ? WHERE org_id = ? AND id = ?`,
		u.Name, string(u.Role), u.PasswordHash, u.OrgID, u.ID)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.ID, err)
	}
	return nil
}

// UserDelete deletes a user of org with its API keys, sessions and
// notifications; ErrNotFound when missing.
func (s *Store) UserDelete(ctx context.Context, orgID, id string) error {
	if err := s.execOne(ctx, `DELETE FROM users WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	return nil
}
