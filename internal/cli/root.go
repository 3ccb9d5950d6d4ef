// Package cli builds the exporthub command tree (cobra). Each subcommand lives
// in its own file and writes to the io.Writers it is given, so tests run the
// commands in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// ExitError carries a process exit code. Commands return it when the exit
// code matters (e.g. validation failures exit 1 after printing their report).
type ExitError struct {
	Code int
	Err  error
}

// Error returns the wrapped message.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode returns the process exit code for err: the code of an *ExitError,
// 0 for nil and 1 otherwise.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

// IO bundles the streams a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// NewRootCommand returns the exporthub command tree wired to the given streams.
func NewRootCommand(s IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "exporthub",
		Short:         "Self-hostable hub for custom export plugins on annotation data",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	for _, add := range subcommands {
		root.AddCommand(add(s))
	}
	return root
}

// subcommands holds the constructors of the top-level commands; each command
// file registers its own from init so files can be added independently.
var subcommands []func(IO) *cobra.Command

func register(f func(IO) *cobra.Command) { subcommands = append(subcommands, f) }

// Execute runs the command line args with ctx and prints a final error
// message to stderr. It returns the error so main can pick the exit code.
func Execute(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) error {
	root := NewRootCommand(IO{In: in, Out: out, Err: errOut})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintln(errOut, "error:", err)
		}
	}
	return err
}
