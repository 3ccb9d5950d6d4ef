package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/internal/hubclient"
	"github.com/exporthub/exporthub/web"
)

func init() { register(newPluginCommand) }

func newPluginCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Create, list, show and manage the export plugins of a running hub",
	}
	cf := addClientFlags(cmd)
	cmd.AddCommand(
		newPluginCreateCommand(s, cf),
		newPluginListCommand(s, cf),
		newPluginShowCommand(s, cf),
		newPluginRotateSecretCommand(s, cf),
		newPluginEnableCommand(s, cf),
	)
	return cmd
}

// readConfigFlag returns the value of a --config flag: JSON text, or
// @FILE for a file's content ("@-" reads stdin). It must be one JSON
// object; an error says where it is not.
func readConfigFlag(in io.Reader, v string) (string, error) {
	text, err := readTextFlag(in, v)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(text) == "" {
		return "{}", nil
	}
	// The checker of the web's run dialog and the hub: the same message,
	// with line and column, e.g. "Config JSON: line 1, column 9: ...".
	if err := web.CheckConfigJSON(text); err != nil {
		return "", fmt.Errorf("--config: %w", err)
	}
	return text, nil
}

// readTextFlag returns a flag's text, or the content of @FILE ("@-"
// reads stdin).
func readTextFlag(in io.Reader, v string) (string, error) {
	name, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(in)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return string(b), nil
}

func newPluginCreateCommand(s IO, cf *clientFlags) *cobra.Command {
	var name, description, config, connector, baseURL string
	var timeout time.Duration
	var enableOn []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an export plugin and print its id and secret",
		Long: `Create an export plugin and print its id and secret. The secret is shown
this once (rotate it with "exporthub plugin rotate-secret"). A plugin process
connects with both: Socket.IO by default, or --connector rest --base-url URL
for a plugin that serves HTTP (the hub admin must allow that URL).`,
		Args: cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			req := &hubapi.PluginCreateRequest{Name: name, Description: description, Connector: connector, BaseURL: baseURL, RunTimeout: hubapi.Duration(timeout)}
			if config != "" {
				text, err := readConfigFlag(cmd.InOrStdin(), config)
				if err != nil {
					return err
				}
				req.DefaultConfig = hubapi.ConfigText(text)
			}
			p, err := c.CreatePlugin(cmd.Context(), req)
			if err != nil {
				return err
			}
			for _, project := range enableOn {
				if err := c.EnablePlugin(cmd.Context(), project, p.ID); err != nil {
					return fmt.Errorf("enable plugin %s on project %s: %w", p.ID, project, err)
				}
			}
			if asJSON {
				return printJSON(s.Out, p)
			}
			fmt.Fprintf(s.Out, "id:     %s\nsecret: %s\n", p.ID, p.Secret)
			fmt.Fprintln(s.Err, "The secret is shown once: store it now. Plugins connect with PLUGIN_ID and PLUGIN_SECRET.")
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "plugin name (required)")
	cmd.Flags().StringVar(&description, "description", "", "plugin description")
	cmd.Flags().StringVar(&config, "config", "", "default Config JSON, as JSON text or @FILE")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "run timeout (default 1h)")
	cmd.Flags().StringVar(&connector, "connector", "ws", "ws (Socket.IO) or rest")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "the plugin's base URL (rest connector)")
	cmd.Flags().StringArrayVar(&enableOn, "enable-on", nil, "enable the plugin on this project (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plugin and its secret as JSON")
	_ = cmd.MarkFlagRequired("name") // the flag exists; MarkFlagRequired cannot fail
	return cmd
}

func newPluginListCommand(s IO, cf *clientFlags) *cobra.Command {
	var project string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's plugins (or those enabled on --project) with their instances",
		Args:  cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			var list []*hubapi.PluginResponse
			var err error
			if project != "" {
				list, err = c.ListProjectPlugins(cmd.Context(), project)
			} else {
				list, err = c.ListPlugins(cmd.Context())
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, list)
			}
			tw := newTable(s.Out)
			fmt.Fprintln(tw, "ID\tNAME\tCONNECTOR\tINSTANCES\tTIMEOUT")
			for _, p := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.ID, p.Name, p.Connector, len(p.Instances), time.Duration(p.RunTimeout))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&project, "project", "", "list the plugins enabled on this project")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPluginShowCommand(s IO, cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show PLUGIN",
		Short: "Show a plugin and its connected instances",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			p, err := c.GetPlugin(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, p)
			}
			tw := newTable(s.Out)
			fmt.Fprintf(tw, "id:\t%s\n", p.ID)
			fmt.Fprintf(tw, "name:\t%s\n", p.Name)
			if p.Description != "" {
				fmt.Fprintf(tw, "description:\t%s\n", p.Description)
			}
			fmt.Fprintf(tw, "connector:\t%s\n", p.Connector)
			if p.BaseURL != "" {
				fmt.Fprintf(tw, "base URL:\t%s\n", p.BaseURL)
			}
			fmt.Fprintf(tw, "run timeout:\t%s\n", time.Duration(p.RunTimeout))
			fmt.Fprintf(tw, "default config:\t%s\n", p.DefaultConfig)
			fmt.Fprintf(tw, "instances:\t%d\n", len(p.Instances))
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(p.Instances) == 0 {
				return nil
			}
			// NODE (the hub replica an instance is connected to) shows only
			// with several replicas; a single hub leaves it empty.
			withNode := false
			for _, i := range p.Instances {
				withNode = withNode || i.Node != ""
			}
			tw = newTable(s.Out)
			if withNode {
				fmt.Fprintln(tw, "\nINSTANCE\tREMOTE\tNODE\tCONNECTED\tLAST HEARTBEAT\tRUNS")
			} else {
				fmt.Fprintln(tw, "\nINSTANCE\tREMOTE\tCONNECTED\tLAST HEARTBEAT\tRUNS")
			}
			for _, i := range p.Instances {
				connected, heartbeat := i.ConnectedAt.Local().Format(time.DateTime), i.LastHeartbeat.Local().Format(time.DateTime)
				if withNode {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", i.ID, i.RemoteAddr, cmp.Or(i.Node, "-"), connected, heartbeat, i.Runs)
				} else {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", i.ID, i.RemoteAddr, connected, heartbeat, i.Runs)
				}
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newPluginRotateSecretCommand(s IO, cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-secret PLUGIN",
		Short: "Give a plugin a new secret and print it (connected instances are disconnected)",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			p, err := c.RotatePluginSecret(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "secret: %s\n", p.Secret)
			fmt.Fprintln(s.Err, "The secret is shown once: store it now. Instances that used the old secret were disconnected.")
			return nil
		}),
	}
	return cmd
}

func newPluginEnableCommand(s IO, cf *clientFlags) *cobra.Command {
	var project string
	var disable bool
	cmd := &cobra.Command{
		Use:   "enable PLUGIN --project PROJECT",
		Short: "Enable a plugin on a project (--disable to remove it)",
		Args:  cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			var err error
			if disable {
				err = c.DisablePlugin(cmd.Context(), project, args[0])
				if errors.Is(err, hubclient.ErrNotFound) {
					return fmt.Errorf("plugin %s is not enabled on project %s", args[0], project)
				}
			} else {
				err = c.EnablePlugin(cmd.Context(), project, args[0])
			}
			if err != nil {
				return err
			}
			verb := "Enabled"
			if disable {
				verb = "Disabled"
			}
			fmt.Fprintf(s.Out, "%s plugin %s on project %s.\n", verb, args[0], project)
			return nil
		}),
	}
	cmd.Flags().StringVar(&project, "project", "", "project id (required)")
	cmd.Flags().BoolVar(&disable, "disable", false, "disable instead")
	_ = cmd.MarkFlagRequired("project") // the flag exists; MarkFlagRequired cannot fail
	return cmd
}
