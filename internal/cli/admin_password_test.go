package cli_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/internal/cli"
)

func TestAdmin_SetPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := hub.New(ctx, &hub.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	email := s.Bootstrap().AdminEmail
	require.NoError(t, s.Close())
	dbURL := "sqlite://" + filepath.ToSlash(filepath.Join(dir, hub.SQLiteFile))

	run := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := cli.Execute(ctx, append([]string{"admin", "set-password", "--data-dir", dir}, args...), strings.NewReader(stdin), &out, &errOut)
		return errOut.String(), err
	}
	passwordOf := func() string {
		st, err := hub.OpenStore(ctx, dbURL, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		defer st.Close()
		u, err := st.UserGetByEmail(ctx, email)
		require.NoError(t, err)
		return u.PasswordHash
	}

	t.Run("FirstAdminFromStdin", func(t *testing.T) {
		t.Parallel()
		msg, err := run("correct horse battery\n")
		require.NoError(t, err)
		require.Contains(t, msg, "Password set for "+email)
		require.NoError(t, bcrypt.CompareHashAndPassword([]byte(passwordOf()), []byte("correct horse battery")))
	})
	t.Run("TooShort", func(t *testing.T) {
		t.Parallel()
		_, err := run("short\n", "--email", email)
		require.ErrorContains(t, err, "password must be 8 to 72 bytes long")
	})
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		_, err := run("")
		require.ErrorContains(t, err, "no password on stdin")
	})
	t.Run("UnknownEmail", func(t *testing.T) {
		t.Parallel()
		_, err := run("long enough password\n", "--email", "nobody@example.test")
		require.ErrorContains(t, err, `no user with e-mail "nobody@example.test"`)
	})
}
