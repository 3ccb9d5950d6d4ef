package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/exporthub/exporthub/hub/store"
)

func logLines(n int, prefix string) []*store.RunLog {
	out := make([]*store.RunLog, n)
	for i := range n {
		out[i] = &store.RunLog{Time: at(i), Level: "INFO", Msg: fmt.Sprintf("%s %d", prefix, i)}
	}
	return out
}

func logMsgs(ls []*store.RunLog) []string {
	return ids(ls, func(l *store.RunLog) string { return l.Msg })
}

func testRunLog(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("AppendList", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r, other := b.run(o.ID, p.ID, store.NewID(), at(0)), b.run(o.ID, p.ID, store.NewID(), at(1))

		first := []*store.RunLog{
			{Time: at(1), Level: "INFO", Msg: "start", Extra: json.RawMessage(`{"z":1,"a":"x"}`)},
			{Time: at(2), Level: "WARNING", Msg: "slow"},
		}
		kept, err := b.s.RunLogAppend(b.ctx, r.ID, first, 0)
		require.NoError(t, err)
		require.Equal(t, 2, kept)
		require.Equal(t, []int64{1, 2}, []int64{first[0].Seq, first[1].Seq}, "Seq is written into the lines")
		_, err = b.s.RunLogAppend(b.ctx, other.ID, logLines(2, "other"), 0)
		require.NoError(t, err)
		kept, err = b.s.RunLogAppend(b.ctx, r.ID, []*store.RunLog{{Level: "ERROR", Msg: "boom"}}, 0)
		require.NoError(t, err)
		require.Equal(t, 1, kept)

		got, err := b.s.RunLogList(b.ctx, r.ID, 0, 0)
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, &store.RunLog{RunID: r.ID, Seq: 1, Time: norm(at(1)), Level: "INFO", Msg: "start",
			Extra: json.RawMessage(`{"z":1,"a":"x"}`)}, got[0])
		require.Equal(t, &store.RunLog{RunID: r.ID, Seq: 2, Time: norm(at(2)), Level: "WARNING", Msg: "slow"}, got[1])
		require.Equal(t, int64(3), got[2].Seq)
		require.False(t, got[2].Time.IsZero(), "a zero Time becomes now")

		got, err = b.s.RunLogList(b.ctx, r.ID, 1, 1)
		require.NoError(t, err)
		require.Equal(t, []string{"slow"}, logMsgs(got), "afterSeq and limit")
		got, err = b.s.RunLogList(b.ctx, r.ID, 3, 0)
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("AppendBoundedByMaxLines", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		o := b.org()
		p := b.project(o.ID)
		r := b.run(o.ID, p.ID, store.NewID(), at(0))

		kept, err := b.s.RunLogAppend(b.ctx, r.ID, logLines(3, "a"), 4)
		require.NoError(t, err)
		require.Equal(t, 3, kept)
		kept, err = b.s.RunLogAppend(b.ctx, r.ID, logLines(3, "b"), 4)
		require.NoError(t, err)
		require.Equal(t, 1, kept, "only what fits under maxLines is kept")
		kept, err = b.s.RunLogAppend(b.ctx, r.ID, logLines(2, "c"), 4)
		require.NoError(t, err)
		require.Zero(t, kept)

		got, err := b.s.RunLogList(b.ctx, r.ID, 0, 0)
		require.NoError(t, err)
		require.Equal(t, []string{"a 0", "a 1", "a 2", "b 0"}, logMsgs(got))
		require.Equal(t, []int64{1, 2, 3, 4}, ids(got, func(l *store.RunLog) int64 { return l.Seq }))
	})

	t.Run("AppendMissingRunNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.s.RunLogAppend(b.ctx, store.NewID(), logLines(1, "x"), 0)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
