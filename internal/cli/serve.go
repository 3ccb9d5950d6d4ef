package cli

import (
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/exporthub/exporthub/hub"
	"github.com/exporthub/exporthub/internal/config"
)

func init() { register(newServeCommand) }

// settingsFlags adds one flag per config setting (plus --config) to fs.
func settingsFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML config file of setting: value lines (env "+config.EnvConfig+")")
	for _, f := range config.Fields {
		fs.String(f.Name, "", f.Usage+" (env "+f.Env()+")")
	}
}

// databaseFlags adds the settings that locate the hub's database
// (--config, --data-dir, --database), for commands that only open it.
func databaseFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML config file of setting: value lines (env "+config.EnvConfig+")")
	for _, name := range []string{"data-dir", "database"} {
		f := config.Lookup(name)
		fs.String(f.Name, "", f.Usage+" (env "+f.Env()+")")
	}
}

// resolveSettings reads the settings from the flags given, the
// environment and the config file.
func resolveSettings(cmd *cobra.Command) (*config.Settings, error) {
	flags := map[string]string{}
	var file string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "config" {
			file = f.Value.String()
		} else if config.Lookup(f.Name) != nil {
			flags[f.Name] = f.Value.String()
		}
	})
	if file == "" {
		file = os.Getenv(config.EnvConfig)
	}
	return config.Resolve(config.Sources{File: file, Getenv: os.Getenv, Flags: flags})
}

func newServeCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hub (HTTP API, plugin gateway, web UI)",
		Long: `Run the hub. With no flags it runs the embedded default: a SQLite database,
a local blob directory and the hub key under ./exporthub-data, listening on
127.0.0.1:7420.

Settings come from flags, then EXPORTHUB_* environment variables, then the
--config file, then the defaults. On first start the hub creates an
organization and an admin; unless EXPORTHUB_BOOTSTRAP_KEY is set, the admin's
API key is generated and printed once.

Use --database postgres://... and --blob s3://bucket?endpoint=...&region=...
to scale out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := resolveSettings(cmd)
			if err != nil {
				return err
			}
			cfg := st.Hub
			cfg.Logger = st.NewLogger(s.Err)
			ctx := cmd.Context()
			// Take the port first: a busy one fails before anything is
			// created or printed.
			listen := cfg.WithDefaults().Listen
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return fmt.Errorf("Listen %q is not host:port, e.g. %s (--listen, EXPORTHUB_LISTEN)", listen, hub.DefaultListen)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("cannot listen on %s: %w; stop what uses it (another exporthub serve?) or pick another address with --listen (EXPORTHUB_LISTEN)", listen, err)
			}
			defer ln.Close()
			srv, err := hub.New(ctx, &cfg)
			if err != nil {
				return err
			}
			defer srv.Close()
			if b := srv.Bootstrap(); b != nil {
				fmt.Fprintf(s.Out, "Created organization %q with admin %s.\n", srv.Config().BootstrapOrgName, b.AdminEmail)
				if b.KeyGenerated {
					fmt.Fprintf(s.Out, "Admin API key (shown once, store it now): %s\n", b.Key)
				}
			}
			fmt.Fprintf(s.Out, "exporthub is running at %s\n", srv.PublicURL())
			return srv.Serve(ctx, ln)
		},
	}
	settingsFlags(cmd.Flags())
	return cmd
}
