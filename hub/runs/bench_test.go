package runs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/auth"
	"github.com/exporthub/exporthub/hub/gateway"
	"github.com/exporthub/exporthub/hub/hubapi"
	"github.com/exporthub/exporthub/hub/hubtest"
	"github.com/exporthub/exporthub/hub/runs/runstest"
	"github.com/exporthub/exporthub/hub/store"
)

// The benchmarks run against an in-process hub, or against the hub at
// BENCH_HUB_URL with the admin key BENCH_HUB_KEY (scripts/bench_runs.sh
// starts one as its own process, to measure its memory).

// benchHub is the hub a benchmark talks to.
type benchHub struct {
	url, key string
}

func newBenchHub(b *testing.B) *benchHub {
	b.Helper()
	if u := os.Getenv("BENCH_HUB_URL"); u != "" {
		return &benchHub{url: u, key: os.Getenv("BENCH_HUB_KEY")}
	}
	h := hubtest.Start(b, nil)
	return &benchHub{url: h.URL, key: h.AdminKey}
}

// call sends a JSON request and decodes the answer into out.
func (bh *benchHub) call(b *testing.B, method, path string, in, out any, want int) {
	b.Helper()
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	default:
		buf, err := json.Marshal(v)
		require.NoError(b, err)
		body = strings.NewReader(string(buf))
	}
	req, err := http.NewRequest(method, bh.url+path, body)
	require.NoError(b, err)
	req.Header.Set(auth.HeaderAPIKey, bh.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(b, err)
	require.Equal(b, want, resp.StatusCode, "%s %s: %s", method, path, got)
	if out != nil {
		require.NoError(b, json.Unmarshal(got, out))
	}
}

// setupPlugin makes a project with one asset and an enabled plugin, and
// connects n instances of it with handler h.
func (bh *benchHub) setupPlugin(b *testing.B, n int, o runstest.Options) (projectID, pluginID string) {
	b.Helper()
	var p hubapi.ProjectResponse
	bh.call(b, http.MethodPost, "/api/projects", map[string]any{"name": "bench " + store.NewID()[:6]}, &p, http.StatusCreated)
	asset := `{"asset":"https://a.example/1.jpg","externalId":"1.jpg","task":{"taskId":"t1","stage":"Complete","stageId":"Complete","tools":[],"classifications":[],"relations":[]}}` + "\n"
	bh.call(b, http.MethodPost, "/api/projects/"+p.ID+"/import", asset, nil, http.StatusOK)
	var pl hubapi.PluginSecretResponse
	bh.call(b, http.MethodPost, "/api/plugins", map[string]any{"name": "bench " + store.NewID()[:6]}, &pl, http.StatusCreated)
	bh.call(b, http.MethodPost, "/api/projects/"+p.ID+"/plugins/"+pl.ID, nil, nil, http.StatusOK)
	o.Host, o.ID, o.Secret = bh.url, pl.ID, pl.Secret
	var wg sync.WaitGroup
	insts := make([]*runstest.Plugin, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			insts[i], errs[i] = runstest.Connect(ctx, o)
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(b, errs[i])
		b.Cleanup(insts[i].Close)
	}
	require.Eventually(b, func() bool {
		var got hubapi.PluginResponse
		bh.call(b, http.MethodGet, "/api/plugins/"+pl.ID, nil, &got, http.StatusOK)
		return len(got.Instances) == n
	}, 60*time.Second, 20*time.Millisecond)
	return p.ID, pl.ID
}

// waitEnd waits until a run ended.
func (bh *benchHub) waitEnd(b *testing.B, id string) *hubapi.RunResponse {
	b.Helper()
	var r hubapi.RunResponse
	require.Eventually(b, func() bool {
		bh.call(b, http.MethodGet, "/api/runs/"+id, nil, &r, http.StatusOK)
		return store.RunStatus(r.Status).Final()
	}, 120*time.Second, 5*time.Millisecond)
	return &r
}

// percentile returns the p-th percentile of sorted durations, in ms.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}

// BenchmarkDispatch measures the time from POST .../runs to the `plugin`
// event reaching an instance, with 1 instance (the baseline) and with 100
// connected instances. It reports p50 and p99 in ms.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("Instances%d", n), func(b *testing.B) {
			bh := newBenchHub(b)
			var mu sync.Mutex
			received := map[string]chan time.Time{}
			arrival := func(session string) chan time.Time {
				mu.Lock()
				defer mu.Unlock()
				ch := received[session]
				if ch == nil {
					ch = make(chan time.Time, 1)
					received[session] = ch
				}
				return ch
			}
			projectID, pluginID := bh.setupPlugin(b, n, runstest.Options{
				SkipExport: true,
				OnRequest:  func(req *gateway.RunRequest, at time.Time) { arrival(req.Session) <- at },
			})
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				var r hubapi.RunResponse
				bh.call(b, http.MethodPost, "/api/projects/"+projectID+"/plugins/"+pluginID+"/runs", nil, &r, http.StatusCreated)
				select {
				case at := <-arrival(r.ID):
					lat = append(lat, at.Sub(start))
				case <-time.After(30 * time.Second):
					b.Fatalf("run %s (%s: %s) never reached an instance", r.ID, r.Status, r.Message)
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(percentile(lat, 0.50), "p50_ms")
			b.ReportMetric(percentile(lat, 0.99), "p99_ms")
		})
	}
}

// BenchmarkEndToEnd runs 50 runs at once with a trivial plugin (10
// instances, each run: GET /v2/export, a tiny zip, getUploadUrl, PUT,
// getSignedUrl, response) and reports the time until all succeeded, in
// seconds per 50 runs.
func BenchmarkEndToEnd(b *testing.B) {
	const runs, instances = 50, 10
	bh := newBenchHub(b)
	projectID, pluginID := bh.setupPlugin(b, instances, runstest.Options{})
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		start := time.Now()
		ids := make([]string, runs)
		var wg sync.WaitGroup
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var r hubapi.RunResponse
				bh.call(b, http.MethodPost, "/api/projects/"+projectID+"/plugins/"+pluginID+"/runs", nil, &r, http.StatusCreated)
				ids[i] = r.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if r := bh.waitEnd(b, id); r.Status != string(store.RunSucceeded) {
				b.Fatalf("run %s: %s: %s", id, r.Status, r.Message)
			}
		}
		total += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(total.Seconds()/float64(b.N), "s/50runs")
}

// BenchmarkDispatchReplicas measures the time from POST .../runs to the
// `plugin` event reaching the instance when the run is requested through
// the replica the instance is connected to (the baseline) and through
// another replica (the dispatch then goes through PostgreSQL
// LISTEN/NOTIFY and back), on two in-process replicas sharing one
// PostgreSQL schema. Each iteration makes one run of each kind, so both
// meet the same conditions. It reports p50 and p99 in ms of each and
// their ratios (other/same). Skipped without PostgreSQL.
func BenchmarkDispatchReplicas(b *testing.B) {
	rs := newReplicaSet(b)
	a, bb := rs.start("replica-a"), rs.start("replica-b")
	f := rs.fixture(a, "")
	var mu sync.Mutex
	received := map[string]chan time.Time{}
	arrival := func(session string) chan time.Time {
		mu.Lock()
		defer mu.Unlock()
		ch := received[session]
		if ch == nil {
			ch = make(chan time.Time, 1)
			received[session] = ch
		}
		return ch
	}
	rs.connect(bb, f, runstest.Options{
		SkipExport: true,
		OnRequest:  func(req *gateway.RunRequest, at time.Time) { arrival(req.Session) <- at },
	}, a)
	measure := func(via *replica) time.Duration {
		start := time.Now()
		r := rs.submit(via, f)
		select {
		case at := <-arrival(r.ID):
			return at.Sub(start)
		case <-time.After(30 * time.Second):
			b.Fatalf("run %s (%s: %s) never reached the instance", r.ID, r.Status, r.Message)
			return 0
		}
	}
	same := make([]time.Duration, 0, b.N)
	other := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		same = append(same, measure(bb))
		other = append(other, measure(a))
	}
	b.StopTimer()
	for _, l := range [][]time.Duration{same, other} {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	b.ReportMetric(percentile(same, 0.50), "same_p50_ms")
	b.ReportMetric(percentile(same, 0.99), "same_p99_ms")
	b.ReportMetric(percentile(other, 0.50), "other_p50_ms")
	b.ReportMetric(percentile(other, 0.99), "other_p99_ms")
	b.ReportMetric(percentile(other, 0.50)/percentile(same, 0.50), "p50_ratio")
	b.ReportMetric(percentile(other, 0.99)/percentile(same, 0.99), "p99_ratio")
}
