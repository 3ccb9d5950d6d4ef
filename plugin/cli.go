package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/exporthub/exporthub/internal/bytesize"
)

// UsageError is a command line that [RunCommand] could not parse; [Main]
// exits with status 2 for it.
type UsageError struct{ Err error }

// Error returns the parse problem.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the parse problem.
func (e *UsageError) Unwrap() error { return e.Err }

// Main is the whole main function of a plugin binary: it runs
// [RunCommand] with the process's arguments and a context cancelled by
// SIGINT or SIGTERM, prints an error to stderr and exits with status 1 (2
// for a usage error) when it fails.
func Main(h Handler, opts ...Option) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := RunCommand(ctx, os.Args[1:], os.Stdout, os.Stderr, h, opts...)
	stop()
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.As(err, &ue):
		os.Exit(2) // flag already printed the problem and the usage
	default:
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// RunCommand runs a plugin's command line:
//
//	serve [-host URL] [-connector ws|rest] [-port N] [-concurrency N] [-strict]
//	      connect to the hub and serve runs (the default without arguments);
//	      credentials come from PLUGIN_ID and PLUGIN_SECRET, the rest from
//	      HOST, CONNECTOR and PORT, then opts, then the flags.
//	dev -export FILE [-config JSON | -config-file FILE] [-out DIR] [-project ID]
//	    [-project-name NAME] [-schema FILE] [-stage ID] [-batches ID,...] [-strict]
//	      run the callback once on a local AAF file (see RunLocal), print its
//	      logs to stderr and the written file to stdout.
//
// It returns flag.ErrHelp after printing the usage for -h, and a
// *UsageError for a bad command line.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer, h Handler, opts ...Option) error {
	if h == nil {
		return fmt.Errorf("%w: handler is nil", ErrInvalidOption)
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stderr, h, opts)
	case "dev":
		return runDev(ctx, args, stdout, stderr, h)
	case "help":
		printUsage(stderr)
		return nil
	}
	printUsage(stderr)
	return &UsageError{Err: fmt.Errorf("unknown command %q", cmd)}
}

func printUsage(w io.Writer) {
	name := filepath.Base(os.Args[0])
	fmt.Fprintf(w, `Usage:
  %[1]s [serve] [-host URL] [-connector ws|rest] [-port N] [-concurrency N] [-strict]
      Connect to the hub and serve export runs. Reads HOST, PLUGIN_ID,
      PLUGIN_SECRET, CONNECTOR and PORT from the environment.
  %[1]s dev -export FILE [-config JSON | -config-file FILE] [-out DIR] [-project ID]
      [-project-name NAME] [-schema FILE] [-stage ID] [-batches ID,...] [-strict]
      Run the export once on a local AAF file (JSON, NDJSON or zip) and
      write the result into DIR, with no hub. -schema gives the project's
      category schema to the callback. -strict validates every asset fully
      (by default the SDK trusts the hub's validation on import and checks
      only the syntax and types of what it decodes).
`, name)
}

func runServe(ctx context.Context, args []string, stderr io.Writer, h Handler, opts []Option) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "", "hub base URL (default $HOST or "+DefaultHost+")")
	connector := fs.String("connector", "", "ws or rest (default $CONNECTOR or ws)")
	port := fs.Int("port", 0, "HTTP port of the rest connector (default $PORT or 8080)")
	concurrency := fs.Int("concurrency", 0, "runs executed at once (default 1)")
	strict := fs.Bool("strict", false, "validate every asset of the exports fully")
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	if fs.NArg() > 0 {
		return &UsageError{Err: fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))}
	}
	all := append([]Option{FromEnv()}, opts...)
	if *host != "" {
		all = append(all, WithHost(*host))
	}
	if *connector != "" {
		all = append(all, WithConnector(Connector(*connector)))
	}
	if *port != 0 {
		all = append(all, WithPort(*port))
	}
	if *concurrency != 0 {
		all = append(all, WithConcurrency(*concurrency))
	}
	if *strict {
		all = append(all, WithStrictExport())
	}
	e, err := New(h, all...)
	if err != nil {
		return err
	}
	return e.Run(ctx)
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer, h Handler) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	export := fs.String("export", "", "AAF file to convert: JSON, NDJSON or a zip of one (required)")
	config := fs.String("config", "", "Config JSON text (default {})")
	configFile := fs.String("config-file", "", "file holding the Config JSON")
	out := fs.String("out", ".", "directory the result is written to")
	project := fs.String("project", "", "project id (default: the export file name)")
	stage := fs.String("stage", "", "stage filter handed to the callback")
	batches := fs.String("batches", "", "comma-separated batch filter handed to the callback")
	schema := fs.String("schema", "", "category schema JSON file that Request.Project returns")
	projectName := fs.String("project-name", "", "project name that Request.Project returns (default: the project id)")
	strict := fs.Bool("strict", false, "validate every asset fully, as the hub does on import")
	if err := fs.Parse(args); err != nil {
		return parseError(err)
	}
	if fs.NArg() > 0 {
		return &UsageError{Err: fmt.Errorf("dev: unexpected argument %q", fs.Arg(0))}
	}
	if *export == "" {
		fmt.Fprintln(stderr, "dev: -export FILE is required")
		fs.Usage()
		return &UsageError{Err: errors.New("dev: -export FILE is required")}
	}
	if *configFile != "" {
		if *config != "" {
			return &UsageError{Err: errors.New("dev: give -config or -config-file, not both")}
		}
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
		*config = string(b)
	}
	var batchList []string
	if *batches != "" {
		batchList = strings.Split(*batches, ",")
	}
	res, err := RunLocal(ctx, h.ServeExport, LocalOptions{
		Export:      *export,
		Config:      *config,
		Out:         *out,
		ProjectID:   *project,
		ProjectName: *projectName,
		SchemaFile:  *schema,
		Stage:       *stage,
		Batches:     batchList,
		Logger:      slog.New(newDevHandler(stderr)),
		Strict:      *strict,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s)\n", res.Path, bytesize.Format(res.Size))
	return nil
}

func parseError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &UsageError{Err: err}
}
