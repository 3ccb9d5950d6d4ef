package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

const notificationColumns = `id, org_id, user_id, kind, title, body, link, run_id, export_id, read_at, created_at`

func scanNotification(row Row) (*store.Notification, error) {
	var n store.Notification
	if err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.RunID, &n.ExportID,
		NullTimeDest(&n.ReadAt), TimeDest(&n.CreatedAt)); err != nil {
		return nil, err
	}
	return &n, nil
}

// NotificationInsert stores a notification. ErrConflict if the id exists;
// ErrNotFound if the user is not in n.OrgID.
func (s *Store) NotificationInsert(ctx context.Context, n *store.Notification) error {
	n.CreatedAt = OrNow(n.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO notifications (`+notificationColumns+`) VALUES (`+placeholders(11)+`)`,
		n.ID, n.OrgID, n.UserID, n.Kind, n.Title, n.Body, n.Link, n.RunID, n.ExportID, s.d.nullTime(n.ReadAt),
		s.d.TimeFunc(n.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert notification %s: %w", n.ID, err)
	}
	return nil
}

// NotificationList returns a user's notifications, newest first, at most
// limit (0 means no limit).
func (s *Store) NotificationList(ctx context.Context, userID string, limit int) ([]*store.Notification, error) {
	query := `SELECT ` + notificationColumns + ` FROM notifications WHERE user_id = ? ORDER BY created_at DESC, id DESC`
	args := []any{userID}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := List(ctx, s, s.db.Read, scanNotification, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// NotificationUnreadCount returns how many of a user's notifications are
// unread.
func (s *Store) NotificationUnreadCount(ctx context.Context, userID string) (int, error) {
	n, err := s.count(ctx, s.db.Read, `SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return int(n), nil
}

// NotificationMarkRead marks the unread notifications ids of a user as
// read at at; no ids means all of them.
func (s *Store) NotificationMarkRead(ctx context.Context, userID string, ids []string, at time.Time) error {
	query := `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`
	args := []any{s.d.TimeFunc(OrNow(at)), userID}
	if len(ids) > 0 {
		cond, in := s.d.InFunc("id", ids)
		query += ` AND ` + cond
		args = append(args, in...)
	}
	if _, err := s.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	return nil
}
