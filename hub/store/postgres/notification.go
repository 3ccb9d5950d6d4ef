package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exporthub/exporthub/hub/store"
)

const notificationColumns = `id, org_id, user_id, kind, title, body, link, run_id, export_id, read_at, created_at`

func scanNotification(row pgx.Row) (*store.Notification, error) {
	var n store.Notification
	if err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.RunID, &n.ExportID,
		&n.ReadAt, &n.CreatedAt); err != nil {
		return nil, err
	}
	n.ReadAt = utcPtr(n.ReadAt)
	n.CreatedAt = n.CreatedAt.UTC()
	return &n, nil
}

// NotificationInsert stores a notification. ErrConflict if the id exists;
// ErrNotFound if the user is not in n.OrgID.
func (s *Store) NotificationInsert(ctx context.Context, n *store.Notification) error {
	n.CreatedAt = orNow(n.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO notifications (`+notificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		n.ID, n.OrgID, n.UserID, n.Kind, n.Title, n.Body, n.Link, n.RunID, n.ExportID, tsPtr(n.ReadAt), n.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert notification %s: %w", n.ID, err)
	}
	return nil
}

// NotificationList returns a user's notifications, newest first, at most
// limit (0 means no limit).
func (s *Store) NotificationList(ctx context.Context, userID string, limit int) ([]*store.Notification, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	out, err := queryList(ctx, s.pool, scanNotification, `SELECT `+notificationColumns+` FROM notifications
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, userID, lim)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// NotificationUnreadCount returns how many of a user's notifications are
// unread.
func (s *Store) NotificationUnreadCount(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", interpretError(err))
	}
	return n, nil
}

// NotificationMarkRead marks the unread notifications ids of a user as
// read at at; no ids means all of them.
func (s *Store) NotificationMarkRead(ctx context.Context, userID string, ids []string, at time.Time) error {
	query := `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`
	args := []any{orNow(at), userID}
	if len(ids) > 0 {
		query += ` AND id = ANY($3::text[])`
		args = append(args, ids)
	}
	if _, err := s.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	return nil
}
