package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/hubtype"
)

// Limits of user and key fields.
const (
	// MinPasswordLen and MaxPasswordLen bound a password, in bytes
	// (bcrypt reads 72).
	MinPasswordLen = 8
	MaxPasswordLen = 72
	// MaxNameLen bounds a user's and a key's name, in bytes.
	MaxNameLen = 200
	// MaxKeyLifetime bounds the expiry a caller may give a key.
	MaxKeyLifetime = 10 * 365 * 24 * time.Hour
)

// Store is what the service needs of the hub's store (hub/store.Store
// has it).
type Store interface {
	KeyStore
	OrgGet(ctx context.Context, id string) (*hubtype.Org, error)
	UserInsert(ctx context.Context, u *hubtype.User) error
	UserGet(ctx context.Context, orgID, id string) (*hubtype.User, error)
	UserGetByEmail(ctx context.Context, email string) (*hubtype.User, error)
	UserList(ctx context.Context, orgID string) ([]*hubtype.User, error)
	UserUpdate(ctx context.Context, u *hubtype.User) error
	UserDelete(ctx context.Context, orgID, id string) error
	APIKeyGetByHash(ctx context.Context, hash []byte) (*hubtype.APIKey, error)
	APIKeyGet(ctx context.Context, orgID, id string) (*hubtype.APIKey, error)
	APIKeyList(ctx context.Context, orgID string) ([]*hubtype.APIKey, error)
	APIKeyRevoke(ctx context.Context, orgID, id string, at time.Time) error
	APIKeyTouch(ctx context.Context, id string, at time.Time) error
	WebSessionInsert(ctx context.Context, s *hubtype.WebSession) error
	WebSessionGetByHash(ctx context.Context, hash []byte) (*hubtype.WebSession, error)
	WebSessionDelete(ctx context.Context, hash []byte) error
	WebSessionDeleteExpired(ctx context.Context, before time.Time) (int64, error)
	NotificationList(ctx context.Context, userID string, limit int) ([]*hubtype.Notification, error)
	NotificationUnreadCount(ctx context.Context, userID string) (int, error)
}

// KeyStore is what [Issue] needs: a place to store keys.
type KeyStore interface {
	APIKeyInsert(ctx context.Context, k *hubtype.APIKey) error
}

// Config configures a [Service]. Fields are read once by [New].
type Config struct {
	// Store holds users, keys and sessions. Required.
	Store Store
	// NowFunc is the clock. Defaults to time.Now.
	NowFunc func() time.Time
	// Logger receives the service's debug logs. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// Service applies the user, key and session rules. It is safe for
// concurrent use.
type Service struct {
	st  Store
	now func() time.Time
	log *slog.Logger
	// touched holds, by key id, when its use was last recorded.
	touched sync.Map
}

// New returns a Service.
func New(c *Config) (*Service, error) {
	if c == nil || c.Store == nil {
		return nil, errors.New("users: Store is required")
	}
	now := c.NowFunc
	if now == nil {
		now = time.Now
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: c.Store, now: now, log: log}, nil
}

// requireAdmin refuses callers who are not organization admins; what
// says what they tried ("list users").
func requireAdmin(pr *auth.Principal, what string) error {
	if !pr.IsAdmin() {
		return hubtype.Forbiddenf("only an organization admin may %s; your role is %q", what, pr.Role)
	}
	return nil
}

// Me returns the caller's user and organization.
func (s *Service) Me(ctx context.Context, pr *auth.Principal) (*hubtype.User, *hubtype.Org, error) {
	u, err := s.st.UserGet(ctx, pr.OrgID, pr.UserID)
	if err != nil {
		return nil, nil, fmt.Errorf("get user: %w", err)
	}
	o, err := s.st.OrgGet(ctx, pr.OrgID)
	if err != nil {
		return nil, nil, fmt.Errorf("get organization: %w", err)
	}
	return u, o, nil
}

// List returns the users of the caller's organization by e-mail (admins).
func (s *Service) List(ctx context.Context, pr *auth.Principal) ([]*hubtype.User, error) {
	if err := requireAdmin(pr, "list users"); err != nil {
		return nil, err
	}
	us, err := s.st.UserList(ctx, pr.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// Emails maps the ids of the users of the caller's organization to their
// e-mails, for lists that say who did what (any user).
func (s *Service) Emails(ctx context.Context, pr *auth.Principal) (map[string]string, error) {
	us, err := s.st.UserList(ctx, pr.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	m := make(map[string]string, len(us))
	for _, u := range us {
		m[u.ID] = u.Email
	}
	return m, nil
}

// Get returns a user of the caller's organization (ErrNotFound
// otherwise).
func (s *Service) Get(ctx context.Context, pr *auth.Principal, id string) (*hubtype.User, error) {
	return s.st.UserGet(ctx, pr.OrgID, id)
}

// CreateParams is the input of [Service.Create].
type CreateParams struct {
	Email string
	Name  string
	// Role is admin or member; empty means member.
	Role hubtype.Role
	// Password may be empty: the user signs in with API keys only.
	Password string
}

// Create adds a user to the caller's organization (admins).
func (s *Service) Create(ctx context.Context, pr *auth.Principal, p *CreateParams) (*hubtype.User, error) {
	if err := requireAdmin(pr, "add users"); err != nil {
		return nil, err
	}
	u := &hubtype.User{ID: hubtype.NewID(), OrgID: pr.OrgID, Email: strings.TrimSpace(p.Email), Name: strings.TrimSpace(p.Name), Role: p.Role}
	if u.Role == "" {
		u.Role = hubtype.RoleMember
	}
	if err := checkUser(u); err != nil {
		return nil, err
	}
	if p.Password != "" {
		hash, err := HashPassword(p.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = hash
	}
	if err := s.st.UserInsert(ctx, u); err != nil {
		if errors.Is(err, hubtype.ErrConflict) {
			return nil, hubtype.Conflictf("a user with e-mail %q already exists", u.Email)
		}
		return nil, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

// SetRoleParams is the input of [Service.SetRole].
type SetRoleParams struct {
	UserID string
	Role   hubtype.Role
}

// SetRole changes the role of a user of the caller's organization
// (admins; not their own) and returns the user.
func (s *Service) SetRole(ctx context.Context, pr *auth.Principal, p *SetRoleParams) (*hubtype.User, error) {
	if err := requireAdmin(pr, "change roles"); err != nil {
		return nil, err
	}
	u, err := s.st.UserGet(ctx, pr.OrgID, p.UserID)
	if err != nil {
		return nil, err
	}
	if u.ID == pr.UserID {
		return nil, hubtype.Conflictf("you cannot change your own role")
	}
	if err := checkRole(p.Role); err != nil {
		return nil, err
	}
	u.Role = p.Role
	if err := s.st.UserUpdate(ctx, u); err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	return u, nil
}

// Delete removes a user of the caller's organization (admins; not
// themself, so that an organization keeps an admin) and returns it.
func (s *Service) Delete(ctx context.Context, pr *auth.Principal, id string) (*hubtype.User, error) {
	if err := requireAdmin(pr, "remove users"); err != nil {
		return nil, err
	}
	if id == pr.UserID {
		return nil, hubtype.Conflictf("you cannot delete your own user")
	}
	u, err := s.st.UserGet(ctx, pr.OrgID, id)
	if err != nil {
		return nil, err
	}
	if err := s.st.UserDelete(ctx, pr.OrgID, u.ID); err != nil {
		return nil, fmt.Errorf("delete user: %w", err)
	}
	return u, nil
}

// SetPasswordParams is the input of [Service.SetPassword].
type SetPasswordParams struct {
	// Current is the current password, required when the user has one.
	Current string
	// New is the new password.
	New string
}

// SetPassword sets or changes the caller's password. Changing one needs
// the current password: a wrong one is an error wrapping
// ErrBadCredentials.
func (s *Service) SetPassword(ctx context.Context, pr *auth.Principal, p *SetPasswordParams) error {
	if pr.IsRunToken() {
		return hubtype.Forbiddenf("a run token may not set passwords")
	}
	u, err := s.st.UserGet(ctx, pr.OrgID, pr.UserID)
	if err != nil {
		return fmt.Errorf("get user: %w", err)
	}
	if u.PasswordHash != "" && bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(p.Current)) != nil {
		return &CredentialsError{Message: "the current password is wrong"}
	}
	hash, err := HashPassword(p.New)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := s.st.UserUpdate(ctx, u); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// CheckPassword checks a password against the hub's rules: 8 to 72
// bytes. The error is a *hubtype.FieldError for "password".
func CheckPassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return hubtype.Fieldf("password", "password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// HashPassword checks a password ([CheckPassword]) and returns its
// bcrypt hash, the form hubtype.User.PasswordHash holds.
func HashPassword(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// checkUser checks a new user's fields; errors name the field.
func checkUser(u *hubtype.User) error {
	if u.Email == "" {
		return hubtype.Fieldf("email", "email is required")
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return hubtype.Fieldf("email", "email %q is not a valid e-mail address", u.Email)
	}
	if len(u.Name) > MaxNameLen {
		return hubtype.Fieldf("name", "name is longer than %d characters", MaxNameLen)
	}
	return checkRole(u.Role)
}

// checkRole checks a role name.
func checkRole(r hubtype.Role) error {
	if !slices.Contains([]hubtype.Role{hubtype.RoleAdmin, hubtype.RoleMember}, r) {
		return hubtype.Fieldf("role", "role %q is not one of admin, member", r)
	}
	return nil
}

// Notifications returns the caller's newest notifications (at most
// limit; 0 for all) and how many of all are unread.
func (s *Service) Notifications(ctx context.Context, pr *auth.Principal, limit int) ([]*hubtype.Notification, int, error) {
	ns, err := s.st.NotificationList(ctx, pr.UserID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	unread, err := s.UnreadNotifications(ctx, pr)
	if err != nil {
		return nil, 0, err
	}
	return ns, unread, nil
}

// UnreadNotifications returns how many of the caller's notifications are
// unread.
func (s *Service) UnreadNotifications(ctx context.Context, pr *auth.Principal) (int, error) {
	n, err := s.st.NotificationUnreadCount(ctx, pr.UserID)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}
