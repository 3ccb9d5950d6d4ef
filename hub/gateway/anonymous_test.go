package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/gateway"
)

// eioClient speaks Engine.IO v4 over HTTP long-polling, one raw packet
// at a time, as an attacker's script would.
type eioClient struct {
	t   *testing.T
	url string
	sid string
}

// eioHandshake opens an Engine.IO connection; it returns the HTTP status
// and, on 200, the client.
func eioHandshake(t *testing.T, base string) (int, http.Header, *eioClient) {
	t.Helper()
	resp, err := http.Get(base + "/socket.io/?EIO=4&transport=polling")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, resp.Header, nil
	}
	require.True(t, strings.HasPrefix(string(body), "0"), "handshake %q", body)
	var open struct {
		SID string `json:"sid"`
	}
	require.NoError(t, json.Unmarshal(body[1:], &open))
	return resp.StatusCode, resp.Header, &eioClient{t: t, url: base + "/socket.io/?EIO=4&transport=polling&sid=" + open.SID, sid: open.SID}
}

// send posts one packet; it returns the HTTP status (400 once the
// server forgot the session).
func (c *eioClient) send(packet string) int {
	c.t.Helper()
	resp, err := http.Post(c.url, "text/plain;charset=UTF-8", strings.NewReader(packet))
	require.NoError(c.t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// poll reads what the server queued.
func (c *eioClient) poll() (int, string) {
	c.t.Helper()
	resp, err := http.Get(c.url)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// closedEventually waits until the server forgot the session.
func (c *eioClient) closedEventually(within time.Duration) {
	c.t.Helper()
	require.Eventually(c.t, func() bool { return c.send("40/plugin,") == http.StatusBadRequest }, within, 50*time.Millisecond,
		"the Engine.IO connection is closed")
}

func TestGateway_AnonymousConnections(t *testing.T) {
	t.Parallel()

	t.Run("RejectedConnectionClosed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{})
		_, _, c := eioHandshake(t, b.url)
		require.Equal(t, http.StatusOK, c.send("40/plugin,"))
		_, got := c.poll()
		require.Contains(t, got, "40/plugin,")
		require.Equal(t, http.StatusOK, c.send(`42/plugin,["heartbeat",{"id":"nope","secret":"wrong"}]`))
		_, got = c.poll()
		require.Contains(t, got, gateway.MsgInvalidSecret)
		// Rejoining the namespace does not keep the connection: the
		// Engine.IO connection itself is closed.
		c.closedEventually(5 * time.Second)
	})

	t.Run("DeadlineClosesConnection", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{AnonymousTimeout: 300 * time.Millisecond})
		_, _, joined := eioHandshake(t, b.url)
		require.Equal(t, http.StatusOK, joined.send("40/plugin,"))
		_, _, idle := eioHandshake(t, b.url) // never joins a namespace
		joined.closedEventually(5 * time.Second)
		idle.closedEventually(5 * time.Second)
	})

	t.Run("Capped", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gateway.Config{MaxAnonymousPerAddr: 3, MaxAnonymous: 100})
		var open []*eioClient
		for range 3 {
			status, _, c := eioHandshake(t, b.url)
			require.Equal(t, http.StatusOK, status)
			open = append(open, c)
		}
		status, h, _ := eioHandshake(t, b.url)
		require.Equal(t, http.StatusTooManyRequests, status)
		require.NotEmpty(t, h.Get("Retry-After"))

		// An authenticated instance does not count: a real plugin still
		// connects, and frees its slot.
		id, secret := b.plugin(t, "ws", "")
		require.Equal(t, http.StatusOK, open[0].send("40/plugin,"))
		open[0].poll()
		require.Equal(t, http.StatusOK, open[0].send(`42/plugin,["heartbeat",{"id":"`+id+`","secret":"`+secret+`"}]`))
		require.Eventually(t, func() bool {
			status, _, _ := eioHandshake(t, b.url)
			return status == http.StatusOK
		}, 5*time.Second, 50*time.Millisecond, "a slot is free once a connection authenticated")

		// The total bound holds too.
		b2 := setup(t, gateway.Config{MaxAnonymousPerAddr: 100, MaxAnonymous: 2})
		eioHandshake(t, b2.url)
		eioHandshake(t, b2.url)
		status, _, _ = eioHandshake(t, b2.url)
		require.Equal(t, http.StatusTooManyRequests, status)
	})
}

// FuzzGateway_FramesBeforeHeartbeat sends arbitrary Engine.IO payloads
// on a connection that has not authenticated, as an attacker can: the
// server keeps answering, and no payload makes the connection an
// instance without the plugin's secret.
func FuzzGateway_FramesBeforeHeartbeat(f *testing.F) {
	b := setup(f, gateway.Config{MaxAnonymousPerAddr: 1000})
	id, _ := b.plugin(f, "ws", "")
	f.Add(`42/plugin,["heartbeat",{"id":"` + id + `","secret":"wrong"}]`)
	f.Add(`42/plugin,["heartbeat",{"id":"` + id + `"}]`)
	f.Add(`42/plugin,["heartbeat","` + id + `"]`)
	f.Add(`42/plugin,["response",{"session":"x","export":true,"response":"http://127.0.0.1/"}]`)
	f.Add(`42/plugin,["log",{"session":"x","msg":"` + strings.Repeat("a", 1000) + `"}]`)
	f.Add("40/plugin,{\"token\":1}\x1e42/plugin,[\"heartbeat\",null]")
	f.Add(`451-/plugin,["heartbeat",{"_placeholder":true,"num":0}]`)
	f.Add("4")
	f.Add("")
	f.Fuzz(func(t *testing.T, payload string) {
		_, _, c := eioHandshake(t, b.url)
		require.NotNil(t, c, "the server still accepts connections")
		if c.send("40/plugin,") != http.StatusOK {
			t.Fatal("joining the namespace failed")
		}
		status := c.send(payload)
		require.Less(t, status, 500, "payload %q", payload)
		require.Empty(t, b.gw.Instances(id), "payload %q made an instance without the secret", payload)
		c.send("1") // close
	})
}
