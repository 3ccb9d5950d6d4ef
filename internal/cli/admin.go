package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/hub/store"
)

func init() { register(newAdminCommand) }

func newAdminCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer a hub directly on its database (no running hub needed)",
		Long: `Administer a hub directly on its database. The commands read the same
settings as "exporthub serve" (--data-dir, --database, --config, EXPORTHUB_*)
to find the database, so run them with the settings the hub runs with. They
work while the hub runs.`,
	}
	cmd.AddCommand(newAdminCreateKeyCommand(s), newAdminCreateOrgCommand(s), newAdminSetPasswordCommand(s))
	return cmd
}

// openAdminStore opens the database the settings name.
func openAdminStore(cmd *cobra.Command, mustExist bool) (store.Store, error) {
	st, err := resolveSettings(cmd)
	if err != nil {
		return nil, err
	}
	cfg := st.Hub.WithDefaults()
	if path, ok := sqliteFile(cfg.DatabaseURL); ok && mustExist {
		// Opening would create an empty database: say where we looked.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			abs, _ := filepath.Abs(path) // for the message only; the relative path is shown when it fails
			return nil, fmt.Errorf("no hub database at %s (data directory %s): run this where \"exporthub serve\" runs "+
				"(its first start creates the database and an admin), or give the hub's --data-dir (EXPORTHUB_DATA_DIR) or --database", cmp.Or(abs, path), cfg.DataDir)
		}
	}
	return hub.OpenStore(cmd.Context(), cfg.DatabaseURL, slog.New(slog.DiscardHandler))
}

// sqliteFile returns the file of a sqlite: database URL.
func sqliteFile(databaseURL string) (string, bool) {
	p, ok := strings.CutPrefix(databaseURL, "sqlite:")
	if !ok {
		return "", false
	}
	p = strings.TrimPrefix(p, "//")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p, p != "" && p != ":memory:"
}

func newAdminCreateKeyCommand(s IO) *cobra.Command {
	var email, name, expiresIn string
	cmd := &cobra.Command{
		Use:   "create-key",
		Short: "Create an API key for a user and print it (shown once)",
		Long: `Create an API key for a user and print it. The key is shown once; the hub
stores only its hash. Without --email the key is for the first admin of the
first organization (the one created on first start).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := openAdminStore(cmd, true)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := findAdminUser(ctx, st, email)
			if err != nil {
				return err
			}
			p := &hub.IssueKeyParams{OrgID: u.OrgID, UserID: u.ID, Name: name}
			if expiresIn != "" {
				d, err := time.ParseDuration(expiresIn)
				if err != nil || d <= 0 {
					return fmt.Errorf("--expires-in %q: want a positive duration such as 720h", expiresIn)
				}
				at := time.Now().Add(d).UTC()
				p.ExpiresAt = &at
			}
			key, _, err := hub.IssueKey(ctx, st, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "Created API key %q for %s (%s). It is shown once:\n", name, u.Email, u.Role)
			fmt.Fprintln(s.Out, key)
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "e-mail of the user the key is for (default: the first admin)")
	cmd.Flags().StringVar(&name, "name", "cli", "name of the key, shown in key lists")
	cmd.Flags().StringVar(&expiresIn, "expires-in", "", "lifetime of the key, e.g. 720h (default: no expiry)")
	databaseFlags(cmd.Flags())
	return cmd
}

// findAdminUser returns the user with e-mail email, or the first admin of
// the first organization when email is empty.
func findAdminUser(ctx context.Context, st store.Store, email string) (*store.User, error) {
	if email != "" {
		u, err := st.UserGetByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no user with e-mail %q", email)
		}
		return u, err
	}
	orgs, err := st.OrgList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	for _, o := range orgs {
		users, err := st.UserList(ctx, o.ID)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range users {
			if u.Role == store.RoleAdmin {
				return u, nil
			}
		}
	}
	return nil, errors.New("the hub has no admin yet: start it once with `exporthub serve` to bootstrap one")
}

func newAdminCreateOrgCommand(s IO) *cobra.Command {
	var name, email string
	cmd := &cobra.Command{
		Use:   "create-org",
		Short: "Create an organization with an admin and print the admin's API key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(name) == "" || strings.TrimSpace(email) == "" {
				return errors.New("--name and --admin-email are required")
			}
			st, err := openAdminStore(cmd, false)
			if err != nil {
				return err
			}
			defer st.Close()
			// Check the e-mail first so a taken one leaves no organization
			// without an admin behind.
			if _, err := st.UserGetByEmail(ctx, strings.TrimSpace(email)); err == nil {
				return fmt.Errorf("a user with e-mail %q already exists", strings.TrimSpace(email))
			} else if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("look up e-mail: %w", err)
			}
			o := &store.Org{ID: store.NewID(), Name: strings.TrimSpace(name)}
			if err := st.OrgInsert(ctx, o); err != nil {
				return fmt.Errorf("create organization: %w", err)
			}
			u := &store.User{ID: store.NewID(), OrgID: o.ID, Email: strings.TrimSpace(email), Name: "Admin", Role: store.RoleAdmin}
			if err := st.UserInsert(ctx, u); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("a user with e-mail %q already exists", u.Email)
				}
				return fmt.Errorf("create admin: %w", err)
			}
			key, _, err := hub.IssueKey(ctx, st, &hub.IssueKeyParams{OrgID: o.ID, UserID: u.ID, Name: "bootstrap"})
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "Created organization %q (%s) with admin %s. Admin API key (shown once):\n", o.Name, o.ID, u.Email)
			fmt.Fprintln(s.Out, key)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "organization name")
	cmd.Flags().StringVar(&email, "admin-email", "", "e-mail of the organization's admin")
	databaseFlags(cmd.Flags())
	return cmd
}
