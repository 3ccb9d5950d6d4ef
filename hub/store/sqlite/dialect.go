package sqlite

import (
	"strings"
	"time"

	"github.com/exporthub/exporthub/hub/store"
	"github.com/exporthub/exporthub/hub/store/internal/sqlstore"
)

// DefaultRunListLimit is RunListParams.Limit when it is 0.
const DefaultRunListLimit = store.DefaultRunListLimit

// shared is the layer of reads and writes both backends share, run in
// dialect; an alias, so that the field Store embeds stays unexported.
type shared = sqlstore.Store

// dialect is how the SQLite schema stores what the shared layer writes:
// times as INTEGER microseconds since the Unix epoch, lists as JSON arrays.
// The batches of an asset are also rows of the side table asset_batches
// (seq, project_id, batch), which the batch filters and counts use rather
// than json_each over assets.batches: they probe an index instead of
// parsing JSON on every row. The single writer connection orders writes,
// so no statement locks rows.
var dialect = sqlstore.Dialect{
	BatchCounts: `SELECT batch, count(*) FROM asset_batches WHERE project_id = ? GROUP BY batch`,
	TimeFunc:    func(t time.Time) any { return t.UnixMicro() },
	ListFunc:    func(v []string) (any, error) { return store.EncodeJSONList(v) },
	ScanListFunc: func(dst *[]string) any {
		return sqlstore.JSONListDest(dst)
	},
	InFunc: in,
	BatchesFunc: func(all bool, batches []string) (string, []any) {
		const exists = `EXISTS (SELECT 1 FROM asset_batches b WHERE b.seq = a.seq AND `
		if !all {
			cond, args := in(`b.batch`, batches)
			return exists + cond + `)`, args
		}
		conds := make([]string, len(batches))
		args := make([]any, len(batches))
		for i, b := range batches {
			conds[i], args[i] = exists+`b.batch = ?)`, b
		}
		return strings.Join(conds, ` AND `), args
	},
	ErrorFunc: interpretError,
}

// in is the condition that column holds one of values.
func in(column string, values []string) (string, []any) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return column + ` IN (?` + strings.Repeat(`, ?`, len(values)-1) + `)`, args
}

// now is the store's clock.
func now() time.Time { return sqlstore.Now() }

func micros(t time.Time) int64 { return t.UnixMicro() }
