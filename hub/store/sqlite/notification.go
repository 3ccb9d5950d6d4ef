package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
)

const notificationColumns = `id, org_id, user_id, kind, title, body, link, run_id, export_id, read_at, created_at`

func scanNotification(row scanner) (*store.Notification, error) {
	var (
		n       store.Notification
		read    sql.NullInt64
		created int64
	)
	if err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.RunID, &n.ExportID,
		&read, &created); err != nil {
		return nil, err
	}
	n.ReadAt = timePtr(read)
	n.CreatedAt = fromMicros(created)
	return &n, nil
}

// NotificationInsert stores a notification. ErrConflict if the id exists;
// ErrNotFound if the user is not in n.OrgID.
func (s *Store) NotificationInsert(ctx context.Context, n *store.Notification) error {
	n.CreatedAt = orNow(n.CreatedAt)
	_, err := s.exec(ctx, `INSERT INTO notifications (`+notificationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.OrgID, n.UserID, n.Kind, n.Title, n.Body, n.Link, n.RunID, n.ExportID, nullMicros(n.ReadAt),
		micros(n.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert notification %s: %w", n.ID, err)
	}
	return nil
}

// NotificationList returns a user's notifications, newest first, at most
// limit (0 means no limit).
func (s *Store) NotificationList(ctx context.Context, userID string, limit int) ([]*store.Notification, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	out, err := queryList(ctx, s.rdb, scanNotification, `SELECT `+notificationColumns+` FROM notifications
		WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// NotificationUnreadCount returns how many of a user's notifications are
// unread.
func (s *Store) NotificationUnreadCount(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", interpretError(err))
	}
	return n, nil
}

// NotificationMarkRead marks the unread notifications ids of a user as
// read at at; no ids means all of them.
func (s *Store) NotificationMarkRead(ctx context.Context, userID string, ids []string, at time.Time) error {
	query := `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`
	args := []any{micros(orNow(at)), userID}
	if len(ids) > 0 {
		query += ` AND id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if _, err := s.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("mark notifications read: %w", err)
	}
	return nil
}
