package aaf_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/aaf"
)

// rssLimit is the peak RSS the reader must stay under while iterating a
// large file.
const rssLimit = 64 << 20

// TestReader_PeakRSS generates AAF_RSS_ASSETS assets to a file in each
// format, then iterates them in a child process that reports its peak RSS
// (VmHWM from /proc/self/status; Linux only), once with the sequential
// reader and once with WithWorkers(GOMAXPROCS). It is skipped unless
// AAF_RSS_ASSETS is set; scripts/bench_aaf_rss.sh runs it with 1,000,000.
func TestReader_PeakRSS(t *testing.T) {
	t.Parallel()
	if file := os.Getenv("AAF_RSS_CHILD_FILE"); file != "" {
		workers, _ := strconv.Atoi(os.Getenv("AAF_RSS_CHILD_WORKERS"))
		rssChild(t, file, workers)
		return
	}
	n, err := strconv.Atoi(os.Getenv("AAF_RSS_ASSETS"))
	if err != nil || n <= 0 {
		t.Skip("set AAF_RSS_ASSETS to the number of assets (scripts/bench_aaf_rss.sh)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc/self/status (Linux)")
	}
	for _, f := range []aaf.Format{aaf.FormatNDJSON, aaf.FormatJSON} {
		path := filepath.Join(t.TempDir(), "assets."+f.String())
		out, err := os.Create(path)
		require.NoError(t, err)
		w := bufio.NewWriterSize(out, 1<<20)
		start := time.Now()
		require.NoError(t, aaf.Generate(w, f, aaf.GenOptions{Assets: n, Seed: 1, Kind: aaf.AssetKindMixed}))
		require.NoError(t, w.Flush())
		require.NoError(t, out.Close())
		genTime := time.Since(start)
		info, err := os.Stat(path)
		require.NoError(t, err)

		mb := float64(info.Size()) / 1e6
		t.Logf("%s: %d assets, %.0f MB; generate %v (%.0f assets/s, %.0f MB/s)",
			f, n, mb, genTime.Round(time.Millisecond), float64(n)/genTime.Seconds(), mb/genTime.Seconds())
		for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
			start = time.Now()
			cmd := exec.Command(os.Args[0], "-test.run=^TestReader_PeakRSS$")
			cmd.Env = append(os.Environ(), "AAF_RSS_CHILD_FILE="+path, "AAF_RSS_CHILD_WORKERS="+strconv.Itoa(workers))
			res, err := cmd.CombinedOutput()
			require.NoError(t, err, "child: %s", res)
			readTime := time.Since(start)
			var assets, rssKB int
			for _, line := range strings.Split(string(res), "\n") {
				if strings.HasPrefix(line, "RSS_RESULT ") {
					_, err := fmt.Sscanf(line, "RSS_RESULT assets=%d vmhwm_kb=%d", &assets, &rssKB)
					require.NoError(t, err)
				}
			}
			require.Equal(t, n, assets, "child output: %s", res)
			t.Logf("%s, %d worker(s): read+validate %v (%.0f assets/s, %.0f MB/s); peak RSS %.1f MiB",
				f, workers, readTime.Round(time.Millisecond), float64(n)/readTime.Seconds(), mb/readTime.Seconds(), float64(rssKB)/1024)
			require.Less(t, rssKB*1024, rssLimit, "peak RSS while reading %d assets with %d worker(s)", n, workers)
		}
		require.NoError(t, os.Remove(path)) // the next format's file needs the space
	}
}

// rssChild iterates file (WithWorkers(workers)) and prints the asset
// count and peak RSS.
func rssChild(t *testing.T, file string, workers int) {
	in, err := os.Open(file)
	require.NoError(t, err)
	defer in.Close()
	n := 0
	for _, err := range aaf.Assets(in, aaf.WithWorkers(workers)) {
		require.NoError(t, err)
		n++
	}
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("RSS_RESULT assets=%d vmhwm_kb=%s\n", n, strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
}
