package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/formats"
	"github.com/exporthub/exporthub/formats/convert"
	"github.com/exporthub/exporthub/formats/exportplugin"
	"github.com/exporthub/exporthub/internal/bytesize"
	"github.com/exporthub/exporthub/plugin"
)

func init() { register(newFormatsCommand) }

// newFormatsCommand returns "exporthub formats": the built-in export
// formats as a ready plugin.
func newFormatsCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "formats",
		Short: "Built-in export formats (COCO, YOLO, VOC, CSV, JSON, CVAT, Label Studio, KITTI, masks) as a plugin",
		Long: `The built-in export formats run as one export plugin. Its Config JSON
picks the format and its options, e.g. {"format": "coco", "categories": "title"}.

  formats list    list the formats and their options
  formats dev     convert a local AAF file, with no hub
  formats serve   connect to a hub and serve export runs`,
	}
	cmd.AddCommand(newFormatsListCommand(s), newFormatsDevCommand(s), newFormatsServeCommand(s))
	return cmd
}

// newFormatsListCommand returns "exporthub formats list".
func newFormatsListCommand(s IO) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the formats and their options",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				b, err := formats.DescribeJSON()
				if err != nil {
					return fmt.Errorf("describe formats: %w", err)
				}
				_, err = s.Out.Write(b)
				return err
			}
			return writeFormatList(s.Out)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

// writeFormatList prints the formats, their own options and the common
// options as aligned text.
func writeFormatList(w io.Writer) error {
	tw := newTable(w)
	for _, d := range formats.List() {
		fmt.Fprintf(tw, "%s\t%s\n", d.Name, d.Summary)
		for _, o := range d.Options {
			fmt.Fprintf(tw, "  %s\t%s, default %s: %s\n", o.Name, o.Type, o.Default, o.Doc)
		}
	}
	fmt.Fprintf(tw, "\nOptions of every format:\n")
	for _, o := range convert.CommonOptions() {
		fmt.Fprintf(tw, "  %s\t%s, default %s: %s\n", o.Name, o.Type, o.Default, o.Doc)
	}
	fmt.Fprintf(tw, "\nExample Config JSON: {\"format\": \"yolo\", \"task\": \"segment\", \"strict\": true}\n")
	return tw.Flush()
}

// newFormatsDevCommand returns "exporthub formats dev": one local run
// through the SDK's dev harness.
func newFormatsDevCommand(s IO) *cobra.Command {
	var (
		opts       plugin.LocalOptions
		configFile string
	)
	cmd := &cobra.Command{
		Use:   "dev --export FILE --config JSON --out DIR",
		Short: "Convert a local AAF file (JSON, NDJSON or zip) with no hub",
		Long: `Dev runs the formats plugin once on a local AAF export, exactly as a hub
run would, and writes the zip into --out as <project>-<format>.zip. The run
log (including what could not be converted) goes to stderr.

With --schema FILE (a category schema, a project as GET /v2/project/ID
answers, or the JSON printed by "exporthub aaf gen --project"), classes
are numbered in schema order, as a hub run numbers them with its project's
schema; without it, in the order they first appear in the export.`,
		Example: `  exporthub formats dev --export export.json --config '{"format": "coco"}' --out out/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile != "" {
				if opts.Config != "" {
					return errors.New("give --config or --config-file, not both")
				}
				b, err := os.ReadFile(configFile)
				if err != nil {
					return fmt.Errorf("read config file: %w", err)
				}
				opts.Config = string(b)
			}
			// Check the config before reading the export, so a typo fails fast.
			if _, err := formats.New(opts.Config); err != nil {
				return err
			}
			// The schema reaches the handler as the local project's, the
			// way a hub run gets it.
			h := &exportplugin.Handler{TempDir: opts.TempDir}
			opts.Logger = slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{ReplaceAttr: dropTime}))
			res, err := plugin.RunLocal(cmd.Context(), h.ServeExport, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "wrote %s (%s)\n", res.Path, bytesize.Format(res.Size))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Export, "export", "", "AAF export to convert: JSON array, NDJSON, or a zip whose first entry is one (required)")
	f.StringVar(&opts.Config, "config", "", `Config JSON, e.g. '{"format": "yolo", "task": "segment"}'`)
	f.StringVar(&configFile, "config-file", "", "file holding the Config JSON")
	f.StringVar(&opts.Out, "out", ".", "directory the zip is written to")
	f.StringVar(&opts.ProjectID, "project", "", "project id used in the zip name (default: the export file name)")
	f.StringVar(&opts.SchemaFile, "schema", "", "category schema JSON fixing the class order")
	f.StringVar(&opts.TempDir, "temp-dir", "", "directory for temporary files (default: the system's)")
	_ = cmd.MarkFlagRequired("export") // the flag exists
	return cmd
}

// newFormatsServeCommand returns "exporthub formats serve": the formats
// plugin connected to a hub.
func newFormatsServeCommand(s IO) *cobra.Command {
	var (
		host, connector, schemaFile, tempDir string
		port, concurrency                    int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Connect to a hub as the formats export plugin and serve runs",
		Long: `Serve connects to a hub with the plugin's id and secret and converts every
export run with the format its Config JSON names.

Settings come from the environment like every plugin built on the SDK -
HOST (hub URL), PLUGIN_ID, PLUGIN_SECRET, CONNECTOR (WS or REST) and PORT
(REST connector) - and the flags override them. It runs until interrupted,
then lets runs in flight finish.

Classes are numbered in the order of each run's project category schema,
which the plugin asks the hub for (GET /v2/project/ID), unless the Config
JSON lists them ("classes") or --schema fixes one schema for every run. If
the hub cannot answer, the run's log has a warning and classes are numbered
in the order they first appear in the export.`,
		Example: `  HOST=http://127.0.0.1:7420 PLUGIN_ID=... PLUGIN_SECRET=... exporthub formats serve`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h := &exportplugin.Handler{TempDir: tempDir}
			if schemaFile != "" {
				schema, err := plugin.ReadSchemaFile(schemaFile)
				if err != nil {
					return err
				}
				h.Schema = schema
			}
			opts := []plugin.Option{plugin.FromEnv(), plugin.WithLogger(slog.New(slog.NewTextHandler(s.Err, nil)))}
			if host != "" {
				opts = append(opts, plugin.WithHost(host))
			}
			if connector != "" {
				c, err := plugin.ParseConnector(connector)
				if err != nil {
					return err
				}
				opts = append(opts, plugin.WithConnector(c))
			}
			if port != 0 {
				opts = append(opts, plugin.WithPort(port))
			}
			if concurrency != 0 {
				opts = append(opts, plugin.WithConcurrency(concurrency))
			}
			if tempDir != "" {
				opts = append(opts, plugin.WithTempDir(tempDir))
			}
			e, err := plugin.New(h, opts...)
			if err != nil {
				return err
			}
			return e.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&host, "host", "", "hub base URL (default $HOST)")
	f.StringVar(&connector, "connector", "", "ws or rest (default $CONNECTOR, else ws)")
	f.IntVar(&port, "port", 0, "HTTP port of the rest connector (default $PORT)")
	f.IntVar(&concurrency, "concurrency", 0, "runs converted at once (default 1)")
	f.StringVar(&schemaFile, "schema", "", "category schema JSON fixing the class order of every run")
	f.StringVar(&tempDir, "temp-dir", "", "directory for temporary files (default: the system's)")
	return cmd
}

// dropTime removes the time attribute from log lines meant for a terminal.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
