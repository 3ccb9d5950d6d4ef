package aaf

// Fields selects the parts of an asset that a [Reader] decodes; see
// [WithFields]. The asset's own strings (asset, assetId, externalId,
// dataset), its generation and the scalar keys of its tasks (taskId,
// stage, updatedAt, isSkipped, ...) are always decoded.
type Fields uint32

// The parts of an asset that [WithFields] can leave out.
const (
	// FieldTools is the tools of the final task ("objects" of each legacy
	// task): ids, title, page and geometry, without the classifications
	// nested in them (FieldToolClassifications) and without their unknown
	// keys (FieldExtra).
	FieldTools Fields = 1 << iota
	// FieldToolClassifications is the classifications nested in tools.
	FieldToolClassifications
	// FieldClassifications is the task's own classifications.
	FieldClassifications
	// FieldRelations is the task's relations.
	FieldRelations
	// FieldStageHistory is the task's stageHistory snapshots.
	FieldStageHistory
	// FieldReview is the review object of legacy tasks.
	FieldReview
	// FieldMetadata is the asset's metadata.
	FieldMetadata
	// FieldBatches is the asset's batches.
	FieldBatches
	// FieldContextData is the asset's contextData.
	FieldContextData
	// FieldExtra is the keys the model does not know (the Extra maps of
	// the asset, its tasks and tools, and the extra keys of geometries).
	FieldExtra

	// FieldAll is every part: what a reader decodes without WithFields.
	FieldAll Fields = 1<<iota - 1
)

// WithFields makes a reader that does not validate ([WithoutValidation])
// decode only the parts of each asset that f names: the others are left
// empty (nil) and are skipped without being checked, which makes reading
// several times faster when a callback looks at a few parts of large
// assets. Keys that [Fields] does not name are always decoded.
//
// Skipped parts are not checked at all: only the brackets and strings that
// delimit them are followed. Use it for input that was validated before
// (an export of the hub, which validated every asset on import); a broken
// skipped part still ends in an error when it breaks the asset's framing.
//
// On a reader that validates (without WithoutValidation) the option has
// no effect: every part is decoded and checked, so that a strict reader
// reports every problem where it is. Writing back an asset read with
// fewer fields than FieldAll writes fewer keys than the source had.
//
// The default is FieldAll.
func WithFields(f Fields) ReaderOption {
	return func(c *readerConfig) { c.fields = f | fieldsSet }
}

// fieldsSet marks a readerConfig.fields set by WithFields (so that
// WithFields(0), only the always-decoded keys, is not the default).
const fieldsSet Fields = 1 << 31

// skipped returns the parts a reader with cfg leaves out.
func (c *readerConfig) skipped() Fields {
	if !c.noValidate || c.fields == 0 {
		return 0
	}
	return FieldAll &^ c.fields
}
