// Package aaf reads, validates, writes and generates the Ango Annotation
// Format (AAF): the JSON that a labeling hub exports and hands to export
// plugins.
//
// # Model
//
// Both generations of the format (current "v3" assets with one task and
// its tools, legacy assets with a tasks array and objects) are read into one
// normalised model: [Asset], [Task], [Tool], [Classification], [Relation].
// Converters only look at the model. Keys the model does not know are kept
// in the Extra maps and written back by the encoder, so decoding and
// encoding an asset gives the same JSON value.
//
// # Streaming
//
// [NewReader] detects a JSON array or NDJSON input and yields one asset at a
// time; memory does not grow with the number of assets. Every asset is
// validated while it is read; an [*Error] names where the problem is (line
// or byte offset, asset index, externalId and JSON path). The reader stops
// at the first error unless [WithContinueOnInvalid] lets it report a
// rejected asset and go on with the next one. [WithWorkers] decodes on
// several goroutines and returns exactly what the sequential reader
// returns, in the same order.
//
// # Validation
//
// Syntax is checked as strictly as encoding/json does (no NaN or Infinity, no
// trailing commas, valid escapes). Then, per asset: a "task" object or a
// legacy "tasks" array; tools, objects, classifications and relations are
// arrays; every geometry has its JSON shape (a bounding box is an object of
// four numbers, a vertex is exactly two numbers, numeric strings are not
// coerced); every number fits a float64 (1e999 is rejected); objectIds are
// unique per snapshot (the final task, one stageHistory entry, one legacy
// task) and page; relation endpoints name a tool or relation of the same
// snapshot. Problems the format tolerates (unknown keys, negative box sizes,
// short polygons, null batch entries, values of an unexpected type under a
// descriptive key) are kept and reported to the [WithWarnings] handler.
//
// # Writing and generating
//
// [NewEncoder] writes assets as NDJSON or as a JSON array, streaming.
// [Generate] writes a deterministic synthetic project for tests and
// benchmarks.
//
// The package depends on the standard library only; it must never import
// the hub, database drivers or cloud SDKs.
package aaf
