package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/exporthub/exporthub/internal/wire"
)

// runState is what a Request needs from the run executing it.
type runState struct {
	dir string // the run's temp dir, removed when the run ends

	// api, apiKey and projectID ask the hub for the project; api is nil
	// in local runs, which set project up front.
	api       *apiClient
	apiKey    string
	projectID string

	mu      sync.Mutex
	project *ProjectInfo // cached by Request.Project
}

// runSink carries one run's events to the hub.
type runSink interface {
	logSender
	// respond delivers the run's final "response" payload.
	respond(ctx context.Context, payload wire.Response) error
	// close flushes pending log events (bounded) and releases the sink.
	close()
}

// runLogger returns the logger of a run: records go to the hub as "log"
// events and to the local logger.
func (s *server) runLogger(w *runRequest, sink runSink) *slog.Logger {
	local := s.log.Handler().WithAttrs([]slog.Attr{
		slog.String(LogKeySession, w.Session),
		slog.String(LogKeyProject, w.ProjectID),
	})
	hub := newHubHandler(sink, s.cfg.logLevel, logBase(w, s.cfg.id))
	return slog.New(teeHandler{hub, local})
}

// execute performs one run and always answers the hub: the signed URL of
// the result, or an error response.
func (s *server) execute(ctx context.Context, w *runRequest, sink runSink) {
	defer sink.close()
	logger := s.runLogger(w, sink)
	start := time.Now()
	signed, err := s.perform(ctx, w, logger)
	if err != nil {
		s.fail(ctx, w, sink, logger, err)
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.apiTimeout)
	defer cancel()
	if err := sink.respond(rctx, wire.ExportResponse(w.Session, signed)); err != nil {
		s.log.Error("plugin: send the run's response", slog.String(LogKeySession, w.Session), slog.Any(LogKeyError, err))
		s.reportError(fmt.Errorf("run %s: send response: %w", w.Session, err))
		return
	}
	s.log.Info("plugin: run succeeded", slog.String(LogKeySession, w.Session), slog.Duration(LogKeyDuration, time.Since(start)))
}

// fail logs why a run failed (to the hub and locally) and answers the hub
// with an error response.
func (s *server) fail(ctx context.Context, w *runRequest, sink runSink, logger *slog.Logger, err error) {
	attrs := []slog.Attr{slog.String(LogKeyError, err.Error())}
	var pe *panicError
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String(LogKeyStack, string(pe.stack)))
	}
	logger.LogAttrs(ctx, slog.LevelError, "run failed", attrs...)
	s.reportError(fmt.Errorf("run %s: %w", w.Session, err))
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.apiTimeout)
	defer cancel()
	if rerr := sink.respond(rctx, wire.ErrorResponse(w.Session)); rerr != nil {
		s.log.Error("plugin: send the run's error response", slog.String(LogKeySession, w.Session), slog.Any(LogKeyError, rerr))
		s.reportError(fmt.Errorf("run %s: send error response: %w", w.Session, rerr))
	}
}

// perform downloads the export, calls the callback and uploads its file;
// it returns the signed URL of the upload.
func (s *server) perform(ctx context.Context, w *runRequest, logger *slog.Logger) (string, error) {
	dir, err := os.MkdirTemp(s.cfg.tempDir, "exporthub-run-*")
	if err != nil {
		return "", fmt.Errorf("create run temp dir: %w", err)
	}
	defer os.RemoveAll(dir) // best effort: temp files of a finished run

	export, closeExport, err := s.api.openExport(ctx, w, dir)
	if err != nil {
		return "", err
	}
	defer closeExport()

	req := &Request{
		ProjectID:  w.ProjectID,
		Export:     export,
		Logger:     logger,
		APIKey:     w.APIKey,
		OrgID:      w.OrgID,
		RunBy:      w.RunBy,
		Session:    w.Session,
		ConfigJSON: w.ConfigJSON,
		NumTasks:   numTasks(w),
		Stage:      strings.Join(w.Stage, ", "),
		Stages:     w.Stage,
		Batches:    w.Batches,
		PluginID:   orDefault(w.PluginID, s.cfg.id),
		run:        &runState{dir: dir, api: s.api, apiKey: w.APIKey, projectID: w.ProjectID},
	}
	resp, err := callHandler(ctx, s.cfg.callback, req)
	if err != nil {
		return "", err
	}
	defer closeFile(resp.File)
	if ctx.Err() != nil {
		return "", context.Cause(ctx)
	}
	name := orDefault(resp.FileName, w.ProjectID+".zip")
	signed, n, err := s.api.upload(ctx, w, resp, name, dir)
	if err != nil {
		return "", err
	}
	logger.Info("export uploaded", slog.String(LogKeyFile, name), slog.Int64(LogKeyBytes, n))
	return signed, nil
}

// callHandler calls h, turning a panic into a *panicError and a missing
// file into ErrNoResponse.
func callHandler(ctx context.Context, h HandlerFunc, req *Request) (resp *Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			if resp != nil {
				closeFile(resp.File)
			}
			resp, err = nil, &panicError{value: v, stack: debug.Stack()}
		}
	}()
	resp, err = h(ctx, req)
	if err != nil {
		if resp != nil {
			closeFile(resp.File)
		}
		return nil, fmt.Errorf("callback: %w", err)
	}
	if resp == nil || resp.File == nil {
		return nil, ErrNoResponse
	}
	return resp, nil
}

// closeFile closes a response file that is an io.Closer.
func closeFile(r io.Reader) {
	if c, ok := r.(io.Closer); ok {
		_ = c.Close() // read-only use: nothing to flush
	}
}

// panicError is a recovered callback panic.
type panicError struct {
	value any
	stack []byte
}

// Error returns "plugin: callback panicked: <value>".
func (e *panicError) Error() string {
	return fmt.Sprintf("%v: %v", ErrPanic, e.value)
}

// Unwrap returns ErrPanic.
func (e *panicError) Unwrap() error { return ErrPanic }
