package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/exporthub/exporthub/hub"
)

// newAdminSetPasswordCommand returns `exporthub admin set-password`: it
// sets a user's web sign-in password directly in the database (the
// bootstrap admin has none).
func newAdminSetPasswordCommand(s IO) *cobra.Command {
	var email string
	cmd := &cobra.Command{
		Use:   "set-password",
		Short: "Set a user's password for signing in to the web UI",
		Long: `Set a user's password for signing in to the web UI. Without --email the
password is for the first admin of the first organization (the bootstrap
admin, who has an API key but no password). The password is read from
stdin (its first line); on a terminal it is asked for twice, without echo.
It must be 8 to 72 bytes long; the hub stores only its bcrypt hash.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			password, err := readNewPassword(cmd.InOrStdin(), s.Err)
			if err != nil {
				return err
			}
			hash, err := hub.HashPassword(password)
			if err != nil {
				return err
			}
			st, err := openAdminStore(cmd, true)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := findAdminUser(ctx, st, email)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
			if err := st.UserUpdate(ctx, u); err != nil {
				return fmt.Errorf("update user: %w", err)
			}
			fmt.Fprintf(s.Err, "Password set for %s: sign in to the web UI with this e-mail and password.\n", u.Email)
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "e-mail of the user (default: the first admin)")
	databaseFlags(cmd.Flags())
	return cmd
}

// readNewPassword reads a password: twice without echo from a terminal,
// else the first line of in.
func readNewPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "New password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Repeat it: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin: pipe it in, e.g. `printf '%s\\n' \"$PW\" | exporthub admin set-password`")
	}
	return line, nil
}
