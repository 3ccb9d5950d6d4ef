package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/exporthub/exporthub/plugin"
)

// A plugin binary's whole main function: "serve" connects to the hub named
// by HOST, PLUGIN_ID, PLUGIN_SECRET (CONNECTOR, PORT); "dev" runs the
// callback on a local file.
// (No Output: an example that serves forever is compiled, not run.)
func ExampleMain() {
	plugin.Main(plugin.HandlerFunc(labelsPerAsset), plugin.WithConcurrency(2))
}

// An Export configured as a struct literal; Run blocks until ctx is done
// (SIGINT/SIGTERM), reconnecting when the hub restarts.
func ExampleExport_Run() {
	e := &plugin.Export{
		ID:          os.Getenv("PLUGIN_ID"),
		Secret:      os.Getenv("PLUGIN_SECRET"),
		Host:        "http://localhost:7420",
		Callback:    labelsPerAsset,
		Concurrency: 4,
		OnReconnect: func(attempts int) { slog.Info("back online", "attempts", attempts) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an example must not wait for runs
	if err := e.Run(ctx); err != nil && !errors.Is(err, plugin.ErrInvalidOption) {
		fmt.Println(err)
	}
	// Output:
}

// New builds an Export from options; FromEnv reads the variables the
// Python SDK reads.
func ExampleNew() {
	_, err := plugin.New(plugin.HandlerFunc(labelsPerAsset),
		plugin.FromEnv(),
		plugin.WithConcurrency(0),
	)
	fmt.Println(err)
	fmt.Println(errors.Is(err, plugin.ErrInvalidOption))
	// Output:
	// plugin: invalid option: concurrency 0: want at least 1
	// true
}

// DecodeConfig parses the Config JSON the user typed in the Run dialog.
func ExampleRequest_DecodeConfig() {
	req := &plugin.Request{ConfigJSON: "{\n  \"separator-character\": 5\n}"}
	var cfg struct {
		Separator string `json:"separator-character"`
	}
	fmt.Println(req.DecodeConfig(&cfg))

	req.ConfigJSON = ""
	fmt.Println(req.DecodeConfig(&cfg), cfg.Separator == "")
	// Output:
	// config JSON: line 2: field "separator-character": cannot use JSON number as string (column 26)
	// <nil> true
}

// NewZip builds the result in a temporary file while converting; the
// response's File removes itself once the SDK closed it.
func ExampleNewZip() {
	z, err := plugin.NewZip("result.zip")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer z.Close()
	w, _ := z.Create("hello.txt")
	fmt.Fprintln(w, "hello")
	resp, err := z.Response()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.File.(interface{ Close() error }).Close()
	fmt.Println(resp.FileName)
	// Output:
	// result.zip
}

// Errors from the hub's API match the sentinels by code.
func ExampleAPIError() {
	var err error = &plugin.APIError{StatusCode: 401, Code: "unauthorized", Message: "run token expired"}
	err = fmt.Errorf("upload: %w", err)
	fmt.Println(errors.Is(err, plugin.ErrUnauthorized))
	var ae *plugin.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode, strings.ToUpper(ae.Code))
	}
	// Output:
	// true
	// 401 UNAUTHORIZED
}

// FromEnv reads the variables the Python SDK reads.
func ExampleFromEnv() {
	os.Setenv("HOST", "http://hub.internal:7420")
	os.Setenv("PLUGIN_ID", "65f0a1b2c3d4e5f600000042")
	os.Setenv("PLUGIN_SECRET", "a-secret")
	os.Setenv("CONNECTOR", "REST")
	os.Setenv("PORT", "9000")
	defer func() {
		for _, k := range []string{"HOST", "PLUGIN_ID", "PLUGIN_SECRET", "CONNECTOR", "PORT"} {
			os.Unsetenv(k)
		}
	}()
	e, err := plugin.New(plugin.HandlerFunc(labelsPerAsset), plugin.FromEnv())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Host, e.ID, e.Connector, e.Port)
	// Output:
	// http://hub.internal:7420 65f0a1b2c3d4e5f600000042 rest 9000
}

// A Request logs without its API key.
func ExampleRequest_LogValue() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	req := &plugin.Request{Session: "s1", ProjectID: "p1", APIKey: "ehk_secret"}
	logger.Info("run", "req", req)
	// Output:
	// level=INFO msg=run req.session=s1 req.project_id=p1 req.org_id="" req.run_by="" req.num_tasks=0
}
