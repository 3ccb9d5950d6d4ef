package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/runs"
	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/internal/bytesize"
	"github.com/exporthub/exporthub/internal/hubclient"
)

func init() { register(newRunCommand) }

func newRunCommand(s IO) *cobra.Command {
	var project, plugin, config, output string
	var stages, batches []string
	var retries int
	var wait bool
	var cf *clientFlags
	cmd := &cobra.Command{
		Use:   "run --project P --plugin X",
		Short: "Run an export plugin on a project (a click on Run)",
		Long: `Run an export plugin on a project, as a click on Run in the web UI does.
It prints the run id. With --wait it shows the run's live logs on stderr
until the run ends, and with -o FILE (- for stdout) downloads the export.
With --retries N the hub dispatches the run again, to another instance of
the plugin, when the instance working on it is lost (at most N times).
A run that does not succeed exits 1 with its message.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			p := &hubclient.StartRunParams{ProjectID: project, PluginID: plugin, Stages: stages, Batches: batches, Retries: retries}
			if config != "" {
				text, err := readConfigFlag(cmd.InOrStdin(), config)
				if err != nil {
					return err
				}
				p.ConfigJSON = &text
			}
			if output != "" {
				wait = true
			}
			run, err := c.StartRun(cmd.Context(), p)
			if err != nil {
				return err
			}
			if !wait {
				fmt.Fprintln(s.Out, run.ID)
				return runExit(run.Status, run.Message)
			}
			fmt.Fprintf(s.Err, "run %s: %s\n", run.ID, run.Status)
			end, err := followRun(cmd.Context(), c, s.Err, run)
			if err != nil {
				return err
			}
			if end.Status != string(store.RunSucceeded) {
				return runExit(end.Status, end.Message)
			}
			exp, err := c.GetExport(cmd.Context(), end.ExportID)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "run %s succeeded: %s (%s, sha256 %s), export %s\n", run.ID, exp.FileName, bytesize.Format(exp.Size), exp.SHA256, exp.ID)
			if output == "" {
				fmt.Fprintln(s.Out, exp.ID)
				return nil
			}
			return downloadExport(cmd.Context(), c, s.Out, exp, output)
		},
	}
	cf = addClientFlags(cmd)
	cmd.Flags().StringVar(&project, "project", "", "project id (required)")
	cmd.Flags().StringVar(&plugin, "plugin", "", "plugin id (required)")
	cmd.Flags().StringVar(&config, "config", "", "Config JSON as JSON text or @FILE (default: the plugin's)")
	cmd.Flags().StringArrayVar(&stages, "stage", nil, "export only assets in this stage (id or name; repeatable: any of the stages)")
	cmd.Flags().StringArrayVar(&batches, "batch", nil, "export only assets in this batch (id or name; repeatable)")
	cmd.Flags().IntVar(&retries, "retries", 0, fmt.Sprintf("dispatch the run again, up to N times (0 to %d), when its plugin instance is lost mid-run", runs.MaxRetries))
	cmd.Flags().BoolVar(&wait, "wait", false, "show the live logs and wait for the run to end")
	cmd.Flags().StringVarP(&output, "output", "o", "", "download the export to FILE (- for stdout); implies --wait")
	_ = cmd.MarkFlagRequired("project") // the flags exist; MarkFlagRequired cannot fail
	_ = cmd.MarkFlagRequired("plugin")
	return cmd
}

// runExit returns nil for a succeeded or still active run, and an exit
// error carrying the run's message for a run that ended otherwise.
func runExit(status, message string) error {
	st := store.RunStatus(status)
	if !st.Final() || st == store.RunSucceeded {
		return nil
	}
	return &ExitError{Code: 1, Err: fmt.Errorf("run %s: %s", status, message)}
}

// followRun prints a run's logs to w until it ends and returns its end.
func followRun(ctx context.Context, c *hubclient.Client, w io.Writer, run *hubapi.RunResponse) (*hubapi.RunEndEvent, error) {
	if store.RunStatus(run.Status).Final() {
		return &hubapi.RunEndEvent{Status: run.Status, Message: run.Message, ExportID: run.ExportID}, nil
	}
	return c.FollowRunLogsWith(ctx, run.ID, 0, func(l *hubapi.RunLogLine) error {
		printLogLine(w, l)
		return nil
	}, reconnecting(w))
}

// reconnecting returns follow options that say on w when the log stream
// broke (a hub restarting) and the command reconnects.
func reconnecting(w io.Writer) *hubclient.FollowOptions {
	return &hubclient.FollowOptions{OnReconnect: func(err error, wait time.Duration) {
		fmt.Fprintf(w, "lost the log stream (%v); reconnecting in %s\n", err, wait.Round(100*time.Millisecond))
	}}
}

// printLogLine writes a log line as "15:04:05 LEVEL message key=value".
func printLogLine(w io.Writer, l *hubapi.RunLogLine) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-7s %s", l.Time.Local().Format(time.TimeOnly), l.Level, l.Msg)
	if len(l.Extra) > 0 {
		var extra map[string]any
		if jsonUnmarshalObject(l.Extra, &extra) == nil {
			keys := make([]string, 0, len(extra))
			for k := range extra {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%v", k, extra[k])
			}
		}
	}
	fmt.Fprintln(w, b.String())
}

// downloadExport writes an export to output ("-" for out), through a
// temporary file renamed when complete.
func downloadExport(ctx context.Context, c *hubclient.Client, out io.Writer, exp *hubapi.ExportResponse, output string) error {
	if output == "-" {
		_, err := c.DownloadExport(ctx, exp.ID, out)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*")
	if err != nil {
		return fmt.Errorf("create output file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	n, err := c.DownloadExport(ctx, exp.ID, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write output file: %w", cerr)
	}
	if err != nil {
		return err
	}
	if n != exp.Size {
		return fmt.Errorf("download export %s: got %d bytes, want %d", exp.ID, n, exp.Size)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("write output file: %w", err)
	}
	return nil
}

// errNotObject is returned for extra fields that are not a JSON object.
var errNotObject = errors.New("not a JSON object")
