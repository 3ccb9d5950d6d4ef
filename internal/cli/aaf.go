package cli

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/exporthub/exporthub/aaf"
)

func init() { register(newAAFCommand) }

// newAAFCommand returns "exporthub aaf": validate and generate AAF files.
func newAAFCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "aaf",
		Short: "Validate and generate Ango Annotation Format (AAF) files",
	}
	cmd.AddCommand(newAAFValidateCommand(s), newAAFGenCommand(s))
	return cmd
}

// DefaultMaxErrors is how many problems "aaf validate" reports per file
// unless --max-errors says otherwise.
const DefaultMaxErrors = 20

// newAAFValidateCommand returns "exporthub aaf validate FILE...".
func newAAFValidateCommand(s IO) *cobra.Command {
	var (
		warnings  bool
		maxErrors int
	)
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check AAF files (JSON array or NDJSON; - reads stdin)",
		Long: `Validate reads each AAF file (a JSON array of assets or NDJSON, detected
from the first byte; "-" reads standard input) and checks every asset.

For a good file it prints "FILE: ok: N assets" to stdout. For a bad file it
prints "FILE: <problem>" to stderr for each problem, naming the asset, the
line and the JSON path, and goes on with the next file. The exit status is
1 when any file is bad.

A file is read past an invalid asset so that all its problems show at once,
up to --max-errors per file; then "FILE: more problems not listed" follows.
A syntax error ends the reading of a JSON array (NDJSON goes on with the
next line), and so does an asset over the size limit. --max-errors 1
stops at the first problem.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if maxErrors < 1 {
				return fmt.Errorf("--max-errors must be at least 1, got %d", maxErrors)
			}
			bad := 0
			for _, name := range args {
				if !validateAAFFile(cmd.Context(), s, name, warnings, maxErrors) {
					bad++
				}
			}
			if bad > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&warnings, "warnings", "w", false, "also print tolerated problems (FILE: warning: ...) to stderr")
	cmd.Flags().IntVar(&maxErrors, "max-errors", DefaultMaxErrors, "problems to report per file before going on with the next (1: stop at the first)")
	return cmd
}

// validateAAFFile reads every asset of the file name ("-" for stdin),
// prints its problems (at most maxErrors) to s.Err, or the asset count to
// s.Out when there are none. It reports whether the file is good.
func validateAAFFile(ctx context.Context, s IO, name string, warnings bool, maxErrors int) bool {
	var in io.Reader = s.In
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(s.Err, "%s: %v\n", name, err)
			return false
		}
		defer f.Close()
		in = f
	}
	// Workers decode on every core; warnings and problems still come in
	// file order, and the loop's early break (aaf.Assets) stops them.
	opts := []aaf.ReaderOption{aaf.WithWorkers(runtime.GOMAXPROCS(0))}
	if warnings {
		opts = append(opts, aaf.WithWarnings(func(w *aaf.Error) {
			fmt.Fprintf(s.Err, "%s: warning: %v\n", name, w)
		}))
	}
	if maxErrors > 1 {
		opts = append(opts, aaf.WithContinueOnInvalid())
	}
	n, problems := 0, 0
	for _, err := range aaf.Assets(in, opts...) {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			problems++
			if problems > maxErrors {
				fmt.Fprintf(s.Err, "%s: more problems not listed (--max-errors %d)\n", name, maxErrors)
				break
			}
			fmt.Fprintf(s.Err, "%s: %v\n", name, err)
			if maxErrors == 1 || ctx.Err() != nil {
				break
			}
			continue
		}
		n++
	}
	if problems > 0 {
		return false
	}
	noun := "assets"
	if n == 1 {
		noun = "asset"
	}
	fmt.Fprintf(s.Out, "%s: ok: %d %s\n", name, n, noun)
	return true
}

// newAAFGenCommand returns "exporthub aaf gen".
func newAAFGenCommand(s IO) *cobra.Command {
	var (
		o            aaf.GenOptions
		format, kind string
		printProject bool
		asZip        bool
		printSchema  bool
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a deterministic synthetic AAF project to stdout",
		Long: `Gen writes synthetic assets (all tool kinds, nested classifications,
relations, video frames, batches, stage history) to stdout. The same flags
give the same bytes. --project prints the category schema, stages and batch
names the assets use instead, as JSON, so a hub project can match them.
--zip writes what Ango's Export button downloads instead: a zip whose one
file is the export (export.json or export.ndjson).
--schema prints the category schema alone, the file that
"exporthub project create --schema" takes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := aaf.ParseFormat(format)
			if err != nil {
				return err
			}
			if o.Kind, err = aaf.ParseAssetKind(kind); err != nil {
				return err
			}
			if o.Assets < 0 {
				return fmt.Errorf("--assets must not be negative, got %d", o.Assets)
			}
			if o.Assets == 0 {
				o.Assets = -1 // no assets, not the default count
			}
			if printProject {
				return writeGenProject(s.Out, o)
			}
			if asZip {
				return generateAAFZip(cmd.Context(), s.Out, f, o)
			}
			if printSchema {
				return printJSON(s.Out, aaf.GenSchema(o))
			}
			return generateAAF(cmd.Context(), s.Out, f, o)
		},
	}
	cmd.Flags().IntVar(&o.Assets, "assets", aaf.DefaultGenAssets, "number of assets")
	cmd.Flags().Int64Var(&o.Seed, "seed", 1, "random seed (same seed, same output)")
	cmd.Flags().StringVar(&format, "format", "ndjson", "output format: ndjson or json")
	cmd.Flags().StringVar(&kind, "kind", "image", "asset kind: image, video, text or mixed")
	cmd.Flags().IntVar(&o.Batches, "batches", aaf.DefaultGenBatches, "number of batches")
	cmd.Flags().IntVar(&o.Tools, "tools", aaf.DefaultGenTools, "mean number of objects per image")
	cmd.Flags().BoolVar(&o.NoHistory, "no-history", false, "leave stageHistory out")
	cmd.Flags().BoolVar(&o.Legacy, "legacy", false, `write image assets in the legacy shape ("tasks"[0]."objects")`)
	cmd.Flags().BoolVar(&printProject, "project", false, "print the schema, stages and batches as JSON instead of assets")
	cmd.Flags().BoolVar(&asZip, "zip", false, "write Ango's export download: a zip whose one file is the export")
	cmd.Flags().BoolVar(&printSchema, "schema", false, "print the category schema alone as JSON instead of assets")
	cmd.MarkFlagsMutuallyExclusive("project", "schema", "zip")
	return cmd
}

// generateAAFZip writes the generated assets as Ango's Export button
// hands them out: a zip whose one file, export.json or export.ndjson, is
// the export.
func generateAAFZip(ctx context.Context, w io.Writer, f aaf.Format, o aaf.GenOptions) error {
	zw := zip.NewWriter(w)
	// No modification time: the same flags give the same bytes.
	entry, err := zw.CreateHeader(&zip.FileHeader{Name: "export." + f.String(), Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	if err := generateAAF(ctx, entry, f, o); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	return nil
}

// generateAAF writes the generated assets, stopping when ctx is done.
func generateAAF(ctx context.Context, w io.Writer, f aaf.Format, o aaf.GenOptions) error {
	enc := aaf.NewEncoder(w, f)
	for a := range aaf.GenerateAssets(o) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := enc.Encode(a); err != nil {
			return err
		}
	}
	return enc.Close()
}

// writeGenProject prints what a hub project needs to match generated
// assets.
func writeGenProject(w io.Writer, o aaf.GenOptions) error {
	project := struct {
		Schema  aaf.CategorySchema `json:"schema"`
		Stages  []aaf.GenStage     `json:"stages"`
		Batches []string           `json:"batches"`
	}{aaf.GenSchema(o), aaf.GenStages(o), aaf.GenBatchNames(o)}
	return printJSON(w, project)
}
