package aaf_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/exporthub/exporthub/aaf"
)

// readerMode is a way of reading that must give the same results as the
// others.
type readerMode struct {
	name string
	opts []aaf.ReaderOption // len == cap: appending copies
}

// readerModes are the sequential reader and a parallel one; the table
// tests run both.
var readerModes = []readerMode{
	{"Sequential", nil},
	{"Workers3", []aaf.ReaderOption{aaf.WithWorkers(3)}},
}

// workerCounts are the WithWorkers values compared with the sequential
// reader (more workers than the machine's cores included).
var workerCounts = []int{2, 3, 8}

// describeError renders err with every location field of an *aaf.Error.
func describeError(err error) string {
	var e *aaf.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("%s {Line:%d Offset:%d Index:%d ExternalID:%q Path:%q ObjectID:%q Msg:%q Err:%v}",
			err, e.Line, e.Offset, e.Index, e.ExternalID, e.Path, e.ObjectID, e.Msg, e.Err)
	}
	return err.Error()
}

// readTrace reads in to its end and describes everything a caller sees, in
// order: each asset (its JSON encoding, raw bytes, Line, Offset, Index),
// each warning and each error (message and location fields), then the end
// (Format, Index, Err). withWarnings adds a warnings handler.
func readTrace(t testing.TB, in io.Reader, withWarnings bool, opts ...aaf.ReaderOption) []string {
	t.Helper()
	var events []string
	if withWarnings {
		opts = append(opts[:len(opts):len(opts)], aaf.WithWarnings(func(e *aaf.Error) {
			events = append(events, "warning "+describeError(e))
		}))
	}
	r := aaf.NewReader(in, opts...)
	defer r.Close()
	for calls := 0; ; calls++ {
		if calls > 1<<22 {
			t.Fatal("reader did not stop")
		}
		a, err := r.Next()
		switch {
		case err == io.EOF:
			return append(events, fmt.Sprintf("end format=%s index=%d err=%v", r.Format(), r.Index(), r.Err()))
		case err != nil:
			events = append(events, fmt.Sprintf("error %s index=%d", describeError(err), r.Index()))
			if r.Err() != nil {
				_, again := r.Next()
				require.Equal(t, err, again, "Next keeps returning the error that ended the input")
				return append(events, fmt.Sprintf("end format=%s index=%d err=%v", r.Format(), r.Index(), r.Err()))
			}
		default:
			j, err := a.MarshalJSON()
			require.NoError(t, err)
			events = append(events, fmt.Sprintf("asset line=%d off=%d index=%d %s raw=%q", r.Line(), r.Offset(), r.Index(), j, a.Raw()))
		}
	}
}

// requireSameTrace compares two traces event by event, so that a
// difference in a long input is reported by its first event only.
func requireSameTrace(t testing.TB, want, got []string, msg string) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			require.Equal(t, want[i], got[i], "%s: first difference at event %d", msg, i)
		}
	}
	require.Equal(t, len(want), len(got), "%s: number of events", msg)
}

// traceOptions are the option sets each input is read with.
var traceOptions = []struct {
	name     string
	warnings bool
	opts     []aaf.ReaderOption
}{
	{"Default", false, nil},
	{"Warnings", true, nil},
	{"ContinueOnInvalidRawWarnings", true, []aaf.ReaderOption{aaf.WithContinueOnInvalid(), aaf.WithRaw()}},
	{"WithoutValidation", false, []aaf.ReaderOption{aaf.WithoutValidation(), aaf.WithContinueOnInvalid()}},
	{"MaxAssetSize", true, []aaf.ReaderOption{aaf.WithMaxAssetSize(5000), aaf.WithContinueOnInvalid()}},
}

// requireWorkersSame reads data sequentially and with each worker count,
// with each option set (and optionally one byte at a time), and requires
// the same traces.
func requireWorkersSame(t *testing.T, data []byte, oneByte bool) {
	t.Helper()
	for _, o := range traceOptions {
		want := readTrace(t, bytes.NewReader(data), o.warnings, o.opts...)
		for _, n := range workerCounts {
			opts := append(o.opts[:len(o.opts):len(o.opts)], aaf.WithWorkers(n))
			got := readTrace(t, bytes.NewReader(data), o.warnings, opts...)
			requireSameTrace(t, want, got, fmt.Sprintf("%s, WithWorkers(%d)", o.name, n))
			if oneByte {
				got = readTrace(t, iotest.OneByteReader(bytes.NewReader(data)), o.warnings, opts...)
				requireSameTrace(t, want, got, fmt.Sprintf("%s, WithWorkers(%d), one byte at a time", o.name, n))
			}
		}
	}
}

func TestReader_WithWorkers_SameAsSequential(t *testing.T) {
	t.Parallel()
	t.Run("Files", func(t *testing.T) {
		t.Parallel()
		var files []string
		for _, pattern := range []string{"testdata/*.json", "testdata/*.ndjson", "testdata/malformed/*.json", "testdata/malformed/*.ndjson"} {
			m, err := filepath.Glob(pattern)
			require.NoError(t, err)
			files = append(files, m...)
		}
		require.NotEmpty(t, files)
		for _, name := range files {
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			t.Run(filepath.Base(name), func(t *testing.T) {
				t.Parallel()
				requireWorkersSame(t, data, true)
			})
		}
	})
	t.Run("ValidationTable", func(t *testing.T) {
		t.Parallel()
		var all []string
		for _, tc := range validationErrorCases() {
			requireWorkersSame(t, []byte(tc.input), false)
			all = append(all, strings.TrimSpace(tc.input))
		}
		// Every case in one NDJSON file and in one JSON array, so the
		// errors fall in the middle of batches.
		requireWorkersSame(t, []byte(strings.Join(all, "\n")+"\n"), false)
		requireWorkersSame(t, []byte("[\n"+strings.Join(all, ",\n")+"\n]\n"), false)
	})
	for _, kind := range []aaf.AssetKind{aaf.AssetKindImage, aaf.AssetKindVideo, aaf.AssetKindText, aaf.AssetKindMixed} {
		for _, format := range []aaf.Format{aaf.FormatNDJSON, aaf.FormatJSON} {
			t.Run(fmt.Sprintf("Generated/%s/%s", kind, format), func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				require.NoError(t, aaf.Generate(&buf, format, aaf.GenOptions{Assets: 5000, Seed: 7, Kind: kind, Frames: 30}))
				data := buf.Bytes()
				want := readTrace(t, bytes.NewReader(data), true, aaf.WithRaw())
				require.Equal(t, "end format="+format.String()+" index=5000 err=<nil>", want[len(want)-1])
				got := readTrace(t, bytes.NewReader(data), true, aaf.WithRaw(), aaf.WithWorkers(3))
				requireSameTrace(t, want, got, "WithWorkers(3)")
				if kind != aaf.AssetKindVideo {
					return
				}
				// Small assets limit: the reader stops at the first video
				// over it, in the middle of a batch.
				want = readTrace(t, bytes.NewReader(data), false, aaf.WithMaxAssetSize(6000))
				got = readTrace(t, bytes.NewReader(data), false, aaf.WithMaxAssetSize(6000), aaf.WithWorkers(2))
				requireSameTrace(t, want, got, "WithMaxAssetSize, WithWorkers(2)")
			})
		}
	}
}

// mutate returns a copy of data with a few bytes replaced by bytes that
// matter to JSON, at positions chosen by rng.
func mutate(rng *rand.Rand, data []byte) []byte {
	const interesting = "{}[],:\"\\ \n0-9.eatn"
	out := bytes.Clone(data)
	for range 1 + rng.IntN(3) {
		out[rng.IntN(len(out))] = interesting[rng.IntN(len(interesting))]
	}
	return out
}

func TestReader_WithWorkers_MutatedInput(t *testing.T) {
	t.Parallel()
	for _, format := range []aaf.Format{aaf.FormatNDJSON, aaf.FormatJSON} {
		t.Run(format.String(), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, aaf.Generate(&buf, format, aaf.GenOptions{Assets: 120, Seed: 3, Kind: aaf.AssetKindMixed, Frames: 10}))
			rng := rand.New(rand.NewPCG(11, uint64(format)))
			for i := range 25 {
				data := mutate(rng, buf.Bytes())
				for _, o := range traceOptions[:3] {
					want := readTrace(t, bytes.NewReader(data), o.warnings, o.opts...)
					opts := append(o.opts[:len(o.opts):len(o.opts)], aaf.WithWorkers(3))
					got := readTrace(t, bytes.NewReader(data), o.warnings, opts...)
					requireSameTrace(t, want, got, fmt.Sprintf("mutation %d, %s", i, o.name))
				}
			}
		})
	}
}

func TestReader_WithWorkers_ReadError(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, aaf.Generate(&buf, aaf.FormatNDJSON, aaf.GenOptions{Assets: 200, Seed: 5, Kind: aaf.AssetKindImage}))
	data := buf.Bytes()
	boom := errors.New("disk on fire")
	for _, cut := range []int{0, 1, 4000, len(data) / 2, len(data) - 1} {
		in := func() io.Reader { return io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(boom)) }
		want := readTrace(t, in(), false, aaf.WithContinueOnInvalid())
		require.Contains(t, want[len(want)-2], "read aaf input: disk on fire")
		got := readTrace(t, in(), false, aaf.WithContinueOnInvalid(), aaf.WithWorkers(3))
		requireSameTrace(t, want, got, fmt.Sprintf("read error after %d bytes", cut))
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReader_WithWorkers_ReadsAheadABoundedWindow(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, aaf.Generate(&buf, aaf.FormatNDJSON, aaf.GenOptions{Assets: 5000, Seed: 2, Kind: aaf.AssetKindImage}))
	in := &countingReader{r: bytes.NewReader(buf.Bytes())}
	r := aaf.NewReader(in, aaf.WithWorkers(2))
	defer r.Close()
	_, err := r.Next()
	require.NoError(t, err)
	// 2n+2 batches of about 128 KiB (plus one asset each) and the
	// framer's buffer: far from the 22 MB input.
	require.Less(t, in.n, 2<<20, "got %d bytes read for the first asset, want a bounded window", in.n)
}

// The leak tests count the goroutines of the whole process, so they do not
// run in parallel with other tests.

func TestReader_Close(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, aaf.Generate(&buf, aaf.FormatNDJSON, aaf.GenOptions{Assets: 400, Seed: 9, Kind: aaf.AssetKindMixed}))
	data := buf.Bytes()

	t.Run("ReadToTheEnd", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		r := aaf.NewReader(bytes.NewReader(data), aaf.WithWorkers(3))
		n := 0
		for _, err := range r.All() {
			require.NoError(t, err)
			n++
		}
		require.Equal(t, 400, n)
		// No Close: the end of the input stopped the workers.
	})
	t.Run("StoppedByAnError", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		bad := bytes.Replace(data, []byte(`"bounding-box":{`), []byte(`"bounding-box":[{`), 1)
		r := aaf.NewReader(bytes.NewReader(bad), aaf.WithWorkers(3))
		for _, err := range r.All() {
			if err != nil {
				require.ErrorIs(t, err, aaf.ErrSyntax)
			}
		}
		require.ErrorIs(t, r.Err(), aaf.ErrSyntax)
	})
	t.Run("AssetsLoopStoppedEarly", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		seq := aaf.Assets(bytes.NewReader(data), aaf.WithWorkers(3))
		for _, err := range seq {
			require.NoError(t, err)
			break
		}
		got := 0
		for _, err := range seq {
			require.ErrorIs(t, err, aaf.ErrClosed, "a second loop over a closed reader")
			got++
		}
		require.Equal(t, 1, got)
	})
	t.Run("CloseInTheMiddle", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		r := aaf.NewReader(bytes.NewReader(data), aaf.WithWorkers(3))
		for range 10 {
			_, err := r.Next()
			require.NoError(t, err)
		}
		require.NoError(t, r.Close())
		require.NoError(t, r.Close(), "a second Close")
		_, err := r.Next()
		require.ErrorIs(t, err, aaf.ErrClosed)
		require.ErrorIs(t, r.Err(), aaf.ErrClosed)
		require.Equal(t, 10, r.Index())
	})
	t.Run("CloseAfterTheEnd", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		r := aaf.NewReader(bytes.NewReader(data[:bytes.IndexByte(data, '\n')+1]), aaf.WithWorkers(3))
		_, err := r.Next()
		require.NoError(t, err)
		_, err = r.Next()
		require.ErrorIs(t, err, io.EOF)
		require.NoError(t, r.Close())
		_, err = r.Next()
		require.ErrorIs(t, err, io.EOF, "Close after the end keeps io.EOF")
		require.NoError(t, r.Err())
	})
	t.Run("NeverRead", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		r := aaf.NewReader(bytes.NewReader(data), aaf.WithWorkers(3))
		require.NoError(t, r.Close())
		_, err := r.Next()
		require.ErrorIs(t, err, aaf.ErrClosed)
	})
	t.Run("SequentialReader", func(t *testing.T) {
		r := aaf.NewReader(bytes.NewReader(data))
		_, err := r.Next()
		require.NoError(t, err)
		require.NoError(t, r.Close())
		_, err = r.Next()
		require.ErrorIs(t, err, aaf.ErrClosed)
	})
	t.Run("AbandonedReaderIsCollected", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		func() {
			r := aaf.NewReader(bytes.NewReader(data), aaf.WithWorkers(3))
			_, err := r.Next()
			require.NoError(t, err)
		}()
		// The cleanup of the unreachable reader stops its workers; it runs
		// after a garbage collection, on the runtime's cleanup goroutine.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			runtime.GC()
			if !strings.Contains(allStacks(), "aaf.(*workers).run") {
				return
			}
			time.Sleep(10 * time.Millisecond) // polling: the cleanup runs asynchronously
		}
		t.Fatal("the workers of an abandoned reader were not stopped")
	})
}

// allStacks returns the stacks of every goroutine.
func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
