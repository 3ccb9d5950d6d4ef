package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/internal/hubclient"
)

func init() { register(newRunsCommand) }

func newRunsCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List runs, show their logs, cancel them",
	}
	cf := addClientFlags(cmd)
	cmd.AddCommand(
		newRunsListCommand(s, cf),
		newRunsShowCommand(s, cf),
		newRunsLogsCommand(s, cf),
		newRunsCancelCommand(s, cf),
	)
	return cmd
}

// jsonUnmarshalObject decodes a JSON object into v.
func jsonUnmarshalObject(b []byte, v *map[string]any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	if *v == nil {
		return errNotObject
	}
	return nil
}

func newRunsListCommand(s IO, cf *clientFlags) *cobra.Command {
	var project, plugin string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			list, err := c.ListRuns(cmd.Context(), &hubclient.ListRunsParams{ProjectID: project, PluginID: plugin, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, list)
			}
			tw := newTable(s.Out)
			fmt.Fprintln(tw, "ID\tPROJECT\tPLUGIN\tSTATUS\tCREATED\tMESSAGE")
			for _, r := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.ProjectID, r.PluginID, r.Status, r.CreatedAt.Local().Format(time.DateTime), r.Message)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&project, "project", "", "only runs of this project")
	cmd.Flags().StringVar(&plugin, "plugin", "", "only runs of this plugin")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many runs (default 100)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newRunsShowCommand(s IO, cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			r, err := c.GetRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(s.Out, r)
		}),
	}
}

func newRunsLogsCommand(s IO, cf *clientFlags) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs RUN",
		Short: "Print a run's logs (-f: follow them live until the run ends)",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			if follow {
				end, err := c.FollowRunLogsWith(cmd.Context(), args[0], 0, func(l *hubapi.RunLogLine) error {
					printLogLine(s.Out, l)
					return nil
				}, reconnecting(s.Err))
				if err != nil {
					return err
				}
				fmt.Fprintf(s.Err, "run %s: %s\n", end.Status, end.Message)
				return runExit(end.Status, end.Message)
			}
			var after int64
			for {
				page, err := c.RunLogs(cmd.Context(), args[0], after)
				if err != nil {
					return err
				}
				for _, l := range page.Logs {
					printLogLine(s.Out, l)
					after = l.Seq
				}
				if len(page.Logs) == 0 {
					return nil
				}
			}
		}),
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the logs live until the run ends")
	return cmd
}

func newRunsCancelCommand(s IO, cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel RUN",
		Short: "Cancel an active run",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			r, err := c.CancelRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "run %s: %s\n", r.ID, r.Status)
			return nil
		}),
	}
}
