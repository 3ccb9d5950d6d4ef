package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/internal/bytesize"
	"github.com/exporthub/exporthub/internal/hubclient"
	"github.com/exporthub/exporthub/internal/zipfirst"
)

// Environment variables of the hub client commands.
const (
	EnvHost   = "EXPORTHUB_HOST"
	EnvAPIKey = "EXPORTHUB_API_KEY"
)

func init() { register(newProjectCommand) }

// clientFlags are the --host and --api-key flags of the commands that talk
// to a running hub. Commands of other files reuse them:
//
//	cf := addClientFlags(cmd)
//	c, err := cf.client()
type clientFlags struct {
	host   string
	apiKey string
}

// addClientFlags adds --host and --api-key as persistent flags of cmd.
func addClientFlags(cmd *cobra.Command) *clientFlags {
	cf := &clientFlags{}
	cmd.PersistentFlags().StringVar(&cf.host, "host", "", "hub URL (env "+EnvHost+", default "+hubclient.DefaultHost+")")
	cmd.PersistentFlags().StringVar(&cf.apiKey, "api-key", "", "API key (env "+EnvAPIKey+")")
	return cf
}

// client returns a hub client from the flags, falling back to the
// environment.
func (cf *clientFlags) client() (*hubclient.Client, error) {
	host := cf.host
	if host == "" {
		host = os.Getenv(EnvHost)
	}
	key := cf.apiKey
	if key == "" {
		key = os.Getenv(EnvAPIKey)
	}
	if key == "" {
		return nil, fmt.Errorf("no API key: pass --api-key or set %s (`exporthub admin create-key` makes one)", EnvAPIKey)
	}
	return hubclient.New(host, key), nil
}

// runE returns a cobra RunE that builds the hub client from the flags (as
// client does) and calls f with it.
func (cf *clientFlags) runE(f func(cmd *cobra.Command, args []string, c *hubclient.Client) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := cf.client()
		if err != nil {
			return err
		}
		return f(cmd, args, c)
	}
}

// newTable returns the tabwriter the list and show commands print their
// columns through; the caller flushes it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgressBar returns a progress bar on w, or nil when w is not a
// terminal (scripts and pipes get no bar). max < 0 shows a spinner.
func newProgressBar(w io.Writer, max int64, description string, bytes bool) *progressbar.ProgressBar {
	if !isTerminal(w) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("assets"))
	}
	return progressbar.NewOptions64(max, opts...)
}

func newProjectCommand(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Create, list, import into and export projects of a running hub",
	}
	cf := addClientFlags(cmd)
	cmd.AddCommand(
		newProjectCreateCommand(s, cf),
		newProjectUpdateCommand(s, cf),
		newProjectListCommand(s, cf),
		newProjectShowCommand(s, cf),
		newProjectImportCommand(s, cf),
		newProjectImportIssuesCommand(s, cf),
		newProjectExportCommand(s, cf),
	)
	return cmd
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func newProjectCreateCommand(s IO, cf *clientFlags) *cobra.Command {
	var name, description, stages, batches, schemaFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a project and print its id",
		Args:  cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			req := &hubapi.ProjectCreateRequest{Name: name, Description: description}
			var err error
			if req.Stages, err = stagesFlag(cmd.InOrStdin(), stages); err != nil {
				return err
			}
			for _, b := range splitList(batches) {
				req.Batches = append(req.Batches, hubapi.BatchJSON{Name: b})
			}
			if req.CategorySchema, err = schemaFlag(schemaFile); err != nil {
				return err
			}
			p, err := c.CreateProject(cmd.Context(), req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, p)
			}
			fmt.Fprintln(s.Out, p.ID)
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "project name (required)")
	cmd.Flags().StringVar(&description, "description", "", "project description")
	cmd.Flags().StringVar(&stages, "stages", "", stagesUsage+" (default Start,Label,Complete)")
	cmd.Flags().StringVar(&batches, "batches", "", "comma-separated batch names")
	cmd.Flags().StringVar(&schemaFile, "schema", "", "JSON file holding the category schema")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole project as JSON")
	_ = cmd.MarkFlagRequired("name") // the flag exists; MarkFlagRequired cannot fail
	return cmd
}

// stagesUsage describes the --stages flag.
const stagesUsage = `workflow stages: comma-separated names, or a JSON list of Ango stages ` +
	`[{"id","name","type","position":{"x","y"},"next"}] as text or @FILE`

// stagesFlag reads --stages: comma-separated stage names, or a JSON list
// of stages (text, @FILE, @- for stdin); nil when empty.
func stagesFlag(in io.Reader, v string) ([]hubapi.StageJSON, error) {
	text := strings.TrimSpace(v)
	if strings.HasPrefix(text, "@") {
		var err error
		if text, err = readTextFlag(in, text); err != nil {
			return nil, fmt.Errorf("--stages: %w", err)
		}
		text = strings.TrimSpace(text)
	}
	if !strings.HasPrefix(text, "[") {
		var out []hubapi.StageJSON
		for _, st := range splitList(text) {
			out = append(out, hubapi.StageJSON{ID: st, Name: st})
		}
		return out, nil
	}
	var out []hubapi.StageJSON
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return nil, fmt.Errorf("--stages is not a JSON list of stages: %w", err)
	}
	return out, nil
}

// schemaFlag reads the category schema file named by --schema; nil when
// empty.
func schemaFlag(file string) (json.RawMessage, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read category schema: %w", err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("category schema %s is not valid JSON", file)
	}
	return bytes.TrimSpace(b), nil
}

func newProjectUpdateCommand(s IO, cf *clientFlags) *cobra.Command {
	var project, name, description, stages, batches, schemaFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update PROJECT",
		Short: "Change a project's name, description, workflow stages, batches or category schema",
		Long: `Change a project's name, description, workflow stages, batches or category
schema; flags left out leave the field alone. --stages replaces the workflow
(the fixed stages Start and Complete are always kept). --batches replaces
the batches; a batch whose name stays keeps its id ("" removes them all).`,
		Args: cobra.MaximumNArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			project, err := idArg("project", args, project)
			if err != nil {
				return err
			}
			req := &hubapi.ProjectUpdateRequest{}
			if cmd.Flags().Changed("name") {
				req.Name = &name
			}
			if cmd.Flags().Changed("description") {
				req.Description = &description
			}
			if cmd.Flags().Changed("batches") {
				req.Batches = []hubapi.BatchJSON{}
				for _, b := range splitList(batches) {
					req.Batches = append(req.Batches, hubapi.BatchJSON{Name: b})
				}
			}
			if req.Stages, err = stagesFlag(cmd.InOrStdin(), stages); err != nil {
				return err
			}
			if req.CategorySchema, err = schemaFlag(schemaFile); err != nil {
				return err
			}
			p, err := c.UpdateProject(cmd.Context(), project, req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, p)
			}
			fmt.Fprintln(s.Out, p.ID)
			return nil
		}),
	}
	cmd.Flags().StringVar(&project, "project", "", "project id (same as the argument)")
	cmd.Flags().StringVar(&name, "name", "", "new project name")
	cmd.Flags().StringVar(&description, "description", "", "new project description")
	cmd.Flags().StringVar(&stages, "stages", "", stagesUsage)
	cmd.Flags().StringVar(&batches, "batches", "", "comma-separated batch names: the project's batches from now on")
	cmd.Flags().StringVar(&schemaFile, "schema", "", "JSON file holding the new category schema")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole project as JSON")
	return cmd
}

func newProjectListCommand(s IO, cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's projects",
		Args:  cobra.NoArgs,
		RunE: cf.runE(func(cmd *cobra.Command, _ []string, c *hubclient.Client) error {
			ps, err := c.ListProjects(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s.Out, ps)
			}
			tw := newTable(s.Out)
			fmt.Fprintln(tw, "ID\tNAME\tSTAGES\tBATCHES\tCREATED")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", p.ID, p.Name, len(p.Stages), len(p.Batches), p.CreatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newProjectShowCommand(s IO, cf *clientFlags) *cobra.Command {
	var projectID string
	cmd := &cobra.Command{
		Use:   "show PROJECT",
		Short: "Show a project with its asset counts per stage and batch, as JSON",
		Args:  cobra.MaximumNArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			projectID, err := idArg("project", args, projectID)
			if err != nil {
				return err
			}
			p, err := c.GetProject(cmd.Context(), projectID)
			if err != nil {
				return err
			}
			return printJSON(s.Out, p)
		}),
	}
	cmd.Flags().StringVar(&projectID, "project", "", "project id (same as the argument)")
	return cmd
}

// openImportFile opens an import's input: stdin for "-" (sent as it is:
// the hub reads a zip too), else the file, or the first file of the zip
// it is (read in place, decompressed as it is sent). size is the number
// of bytes to send, -1 when unknown.
func openImportFile(s IO, in io.Reader, arg string) (body io.Reader, size int64, closer func(), err error) {
	if arg == "-" {
		return in, -1, func() {}, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open import file: %w", err)
	}
	zf, err := zipfirst.Open(f, nil)
	if err != nil {
		f.Close()
		return nil, 0, nil, fmt.Errorf("read %s: %w", arg, err)
	}
	closer = func() {
		_ = zf.Close() // a zip read in place has no temporary copy: nothing to report
		f.Close()
	}
	if zf.Zip {
		fmt.Fprintf(s.Err, "Reading %s from %s.\n", zf.Name, arg)
		return zf, zf.Size, closer, nil
	}
	size = -1
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return zf, size, closer, nil
}

func newProjectImportCommand(s IO, cf *clientFlags) *cobra.Command {
	var projectID, mode string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an AAF file (JSON array or NDJSON, or Ango's export zip; - for stdin) into a project",
		Long: `Import an AAF file (a JSON array or NDJSON; - reads stdin) into a project.
A zip whose first file is the JSON or NDJSON export (what Ango's Export
button downloads) is taken as that file. The file is streamed to the hub,
which validates every asset and writes all of them or none. A rejected file
prints the problems with their locations and exits 1. --mode upsert replaces
assets whose externalId is already in the project.`,
		Args: cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			in, size, closer, err := openImportFile(s, cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			defer closer()
			bar := newProgressBar(s.Err, size, "importing", true)
			if bar != nil {
				r := progressbar.NewReader(in, bar)
				in = &r
			}
			start := time.Now()
			res, err := c.Import(cmd.Context(), &hubclient.ImportParams{ProjectID: projectID, Body: in, Mode: mode})
			if bar != nil {
				_ = bar.Finish() // only clears the terminal line
			}
			if err != nil {
				return importError(s, err)
			}
			fmt.Fprintf(s.Out, "Imported %d assets (%d new, %d updated) in %s.\n", res.Imported, res.Inserted, res.Updated, time.Since(start).Round(time.Millisecond))
			for _, st := range res.AddedStages {
				fmt.Fprintf(s.Out, "Added stage %q to the project.\n", st.Name)
			}
			for _, b := range res.AddedBatches {
				fmt.Fprintf(s.Out, "Added batch %q to the project.\n", b.Name)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&projectID, "project", "", "project id (required)")
	cmd.Flags().StringVar(&mode, "mode", "append", "append (an existing externalId is an error) or upsert (replace it)")
	_ = cmd.MarkFlagRequired("project") // the flag exists; MarkFlagRequired cannot fail
	return cmd
}

func newProjectImportIssuesCommand(s IO, cf *clientFlags) *cobra.Command {
	var projectID, mode string
	cmd := &cobra.Command{
		Use:   "import-issues FILE",
		Short: "Import an Ango issue export (JSON, NDJSON or its zip; - for stdin) into a project",
		Long: `Import the issues (QA comments) of an Ango issue export into a project: a
JSON array of issues, NDJSON, or a zip whose first file is one (- reads
stdin). Issues keep their ids, authors, times, comments and error codes;
each is linked to the project's task of its labelTask. The hub writes all
of them or none: a rejected file prints which issue and key is wrong and
exits 1. --mode upsert replaces the project's issues of the same ids.`,
		Args: cobra.ExactArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			in, _, closer, err := openImportFile(s, cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			defer closer()
			res, err := c.ImportIssues(cmd.Context(), &hubclient.ImportParams{ProjectID: projectID, Body: in, Mode: mode})
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "Imported %d issues (%d new, %d updated).\n", res.Imported, res.Inserted, res.Updated)
			return nil
		}),
	}
	cmd.Flags().StringVar(&projectID, "project", "", "project id (required)")
	cmd.Flags().StringVar(&mode, "mode", "append", "append (an existing issue id is an error) or upsert (replace it)")
	_ = cmd.MarkFlagRequired("project") // the flag exists; MarkFlagRequired cannot fail
	return cmd
}

// importError prints the located problems of a rejected import, one per
// line, and returns the error to exit with.
func importError(s IO, err error) error {
	var ae *hubclient.APIError
	if errors.As(err, &ae) && strings.Contains(ae.Message, "use mode=upsert") {
		// The hub names the API's parameter; name the flag.
		cp := *ae
		cp.Message = strings.Replace(ae.Message, "use mode=upsert", "run again with --mode upsert", 1)
		ae, err = &cp, &cp
	}
	if ae == nil || len(ae.Errors) == 0 {
		return err
	}
	var list []hubapi.ImportError
	if json.Unmarshal(ae.Errors, &list) != nil {
		return err
	}
	fmt.Fprintln(s.Err, ae.Message)
	for _, e := range list {
		var where []string
		if e.Index >= 0 {
			where = append(where, fmt.Sprintf("asset %d", e.Index+1)) // counted from 1, as in the messages
		}
		if e.ExternalID != "" {
			where = append(where, fmt.Sprintf("externalId %q", e.ExternalID))
		}
		if e.Line > 0 {
			where = append(where, fmt.Sprintf("line %d", e.Line))
		}
		if e.Line <= 0 && e.Offset >= 0 {
			where = append(where, fmt.Sprintf("offset %d", e.Offset))
		}
		if e.Path != "" {
			where = append(where, e.Path)
		}
		if e.ObjectID != "" {
			where = append(where, fmt.Sprintf("objectId %q", e.ObjectID))
		}
		fmt.Fprintf(s.Err, "  %s: %s\n", strings.Join(where, ", "), e.Message)
	}
	if ae.Truncated {
		fmt.Fprintln(s.Err, "  (more problems not listed)")
	}
	return &ExitError{Code: 1}
}

func newProjectExportCommand(s IO, cf *clientFlags) *cobra.Command {
	var projectID, format, stage, batches, output string
	var batch []string
	cmd := &cobra.Command{
		Use:   "export PROJECT",
		Short: "Export a project's assets as NDJSON or JSON",
		Long: `Export a project's assets (as imported, filtered by --stage and --batch)
as NDJSON (default) or a JSON array, to stdout or to -o FILE. The file is
written to a temporary name and renamed when complete.`,
		Args: cobra.MaximumNArgs(1),
		RunE: cf.runE(func(cmd *cobra.Command, args []string, c *hubclient.Client) error {
			projectID, err := idArg("project", args, projectID)
			if err != nil {
				return err
			}
			stream, err := c.Export(cmd.Context(), &hubclient.ExportParams{ProjectID: projectID, Format: format, Stage: stage, Batches: append(splitBatches(batch), splitList(batches)...)})
			if err != nil {
				return err
			}
			defer stream.Close()
			var out io.Writer = s.Out
			var tmp *os.File
			if output != "" && output != "-" {
				tmp, err = os.CreateTemp(dirOf(output), ".export-*.tmp")
				if err != nil {
					return fmt.Errorf("create output file: %w", err)
				}
				defer os.Remove(tmp.Name())
				defer tmp.Close()
				out = tmp
			}
			bar := newProgressBar(s.Err, stream.Total, "exporting", false)
			var src io.Reader = stream
			if bar != nil {
				src = &lineCounter{r: stream, bar: bar}
			}
			n, err := io.Copy(out, src)
			if bar != nil {
				_ = bar.Finish() // only clears the terminal line
			}
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if tmp != nil {
				if err := tmp.Close(); err != nil {
					return fmt.Errorf("write output file: %w", err)
				}
				if err := os.Rename(tmp.Name(), output); err != nil {
					return fmt.Errorf("write output file: %w", err)
				}
				fmt.Fprintf(s.Err, "Exported %d assets (%s) to %s.\n", stream.Total, bytesize.Format(n), output)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&projectID, "project", "", "project id (same as the argument)")
	cmd.Flags().StringVar(&format, "format", "ndjson", "ndjson or json")
	cmd.Flags().StringVar(&stage, "stage", "", "keep only this stage (id or name)")
	cmd.Flags().StringArrayVar(&batch, "batch", nil, "keep assets in this batch (id or name; repeatable: any of the batches)")
	cmd.Flags().StringVar(&batches, "batches", "", "comma-separated batches, the same as --batch")
	_ = cmd.Flags().MarkHidden("batches") // the flag exists; kept for scripts written before --batch
	cmd.Flags().StringVarP(&output, "output", "o", "", "output file (default stdout)")
	return cmd
}

// dirOf returns the directory of path, "." for a bare name.
func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// lineCounter advances a progress bar by the newlines (one per asset in
// both export formats) read through it.
type lineCounter struct {
	r   io.Reader
	bar *progressbar.ProgressBar
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if c := bytes.Count(p[:n], []byte{'\n'}); c > 0 {
		_ = l.bar.Add(c) // rendering errors only affect the bar
	}
	return n, err
}

// idArg returns the id of the object a command acts on: its argument, or
// the --KIND flag (flag); one of them is required and they must agree.
func idArg(kind string, args []string, flag string) (string, error) {
	switch {
	case len(args) == 1 && flag != "" && args[0] != flag:
		return "", fmt.Errorf("two %s ids, %q and --%s %q: give one", kind, args[0], kind, flag)
	case len(args) == 1:
		return args[0], nil
	case flag != "":
		return flag, nil
	}
	return "", fmt.Errorf("which %s? give its id as the argument (exporthub %s list shows them)", kind, kind)
}

// splitBatches splits repeated --batch values that may also hold
// comma-separated lists.
func splitBatches(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, splitList(v)...)
	}
	return out
}
