package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/exporthub/exporthub/aaf"
	"github.com/exporthub/exporthub/plugin"
)

// defaultSeparator joins the boxes of one asset when the config names none.
const defaultSeparator = "-"

// convert is the export callback. It streams: one asset is in memory at a
// time and the JSON goes straight into the zip entry.
func convert(ctx context.Context, req *plugin.Request) (*plugin.Response, error) {
	var cfg any
	if err := req.DecodeConfig(&cfg); err != nil {
		return nil, err
	}
	sep := separator(cfg)
	req.Logger.Info("bounding boxes: conversion started", "separator", sep)

	// Only the tools are read: the reader skips the rest of each asset.
	if err := req.Export.Configure(aaf.WithFields(aaf.FieldTools)); err != nil {
		return nil, err
	}
	z, err := req.NewZip(req.ProjectID + ".zip")
	if err != nil {
		return nil, err
	}
	defer z.Close()
	entry, err := z.Create(req.ProjectID + ".json")
	if err != nil {
		return nil, err
	}
	w := newRowWriter(entry)
	for asset, err := range req.Export.All() {
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		w.row(asset.ExternalID, asset.Asset, annotations(asset, sep))
	}
	if err := w.close(); err != nil {
		return nil, fmt.Errorf("write %s.json: %w", req.ProjectID, err)
	}
	req.Logger.Info("bounding boxes: conversion finished", "assets", w.rows)
	return z.Response()
}

// separator returns the "separator-character" of a config when it is a
// string, else the default.
func separator(cfg any) string {
	if m, ok := cfg.(map[string]any); ok {
		if s, ok := m["separator-character"].(string); ok {
			return s
		}
	}
	return defaultSeparator
}

// annotations returns the asset's boxes as "<title> <x> <y> <w> <h>"
// joined by sep. Legacy assets use their first task.
func annotations(a *aaf.Asset, sep string) string {
	if a.Task == nil {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, t := range a.Task.Tools {
		if t.Kind != aaf.KindBoundingBox || t.BoundingBox == nil {
			continue
		}
		if n > 0 {
			b.WriteString(sep)
		}
		n++
		box := t.BoundingBox
		b.WriteString(t.Title)
		for _, v := range [4]float64{box.X, box.Y, box.Width, box.Height} {
			b.WriteByte(' ')
			b.WriteString(roundInt(v))
		}
	}
	return b.String()
}

// roundInt formats int(round(v)) as Python does: half to even, exact for
// any magnitude, and "0" rather than "-0".
func roundInt(v float64) string {
	r := math.RoundToEven(v) + 0 // + 0 turns -0 into 0
	if math.Abs(r) < 1<<62 {
		return strconv.FormatInt(int64(r), 10)
	}
	i, _ := new(big.Float).SetFloat64(r).Int(nil) // r is finite: the reader rejects NaN and Inf
	return i.String()
}

// rowWriter writes the result list exactly as Python's
// json.dumps(rows, indent=4) does (ASCII only, 4-space indent).
type rowWriter struct {
	w    *bufio.Writer
	rows int
}

func newRowWriter(w io.Writer) *rowWriter {
	return &rowWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

func (r *rowWriter) row(externalID, url, annotations string) {
	if r.rows == 0 {
		r.w.WriteString("[\n    {\n")
	} else {
		r.w.WriteString(",\n    {\n")
	}
	r.field("externalId", externalID, ",\n")
	r.field("URL", url, ",\n")
	r.field("Annotations", annotations, "\n")
	r.w.WriteString("    }")
	r.rows++
}

func (r *rowWriter) field(key, value, end string) {
	r.w.WriteString(`        "`)
	r.w.WriteString(key)
	r.w.WriteString(`": `)
	writePyString(r.w, value)
	r.w.WriteString(end)
}

// close ends the list and flushes; it returns the first write error.
func (r *rowWriter) close() error {
	if r.rows == 0 {
		r.w.WriteString("[]")
	} else {
		r.w.WriteString("\n]")
	}
	return r.w.Flush()
}

// pyPlain marks the bytes that Python's json module writes as they are:
// printable ASCII other than '"' and '\\'.
var pyPlain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// writePyString writes s as a JSON string the way Python's json module
// does with ensure_ascii: short escapes for \" \\ \n \r \t \b \f, and
// \uXXXX (lower-case hex, surrogate pairs beyond the BMP) for every other
// byte outside printable ASCII.
func writePyString(w *bufio.Writer, s string) {
	w.WriteByte('"')
	for len(s) > 0 {
		// Runs of printable ASCII other than '"' and '\\' go out as they are.
		n := 0
		for n < len(s) && pyPlain[s[n]] {
			n++
		}
		w.WriteString(s[:n])
		s = s[n:]
		if len(s) == 0 {
			break
		}
		c, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case c == '"':
			w.WriteString(`\"`)
		case c == '\\':
			w.WriteString(`\\`)
		case c == '\n':
			w.WriteString(`\n`)
		case c == '\r':
			w.WriteString(`\r`)
		case c == '\t':
			w.WriteString(`\t`)
		case c == '\b':
			w.WriteString(`\b`)
		case c == '\f':
			w.WriteString(`\f`)
		case c > 0xffff:
			hi, lo := utf16.EncodeRune(c)
			fmt.Fprintf(w, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(w, `\u%04x`, c)
		}
	}
	w.WriteByte('"')
}
