package model

import "github.com/kerasgo/kerasgo/callbacks"

// The callbacks live in package callbacks, generic in the model type; these are their
// instances for *Model.

// Callback is called by Fit at the points Keras calls its callbacks (see
// callbacks.Callback). Embed CallbackBase to implement only some of the methods.
type Callback = callbacks.Callback[*Model]

// CallbackBase implements every Callback method as a no-op.
type CallbackBase = callbacks.Base[*Model]

// ModelCheckpoint saves the model (or its weights) during training, as Keras's
// ModelCheckpoint (see callbacks.ModelCheckpoint).
type ModelCheckpoint = callbacks.ModelCheckpoint[*Model]

// EarlyStopping stops training when a monitored value stops improving, as Keras's
// EarlyStopping (see callbacks.EarlyStopping).
type EarlyStopping = callbacks.EarlyStopping[*Model]

// *Model is what the callbacks need of a model.
var _ callbacks.Model = (*Model)(nil)

// CSVLogger writes one CSV row per epoch, as Keras's CSVLogger (see callbacks.CSVLogger).
type CSVLogger = callbacks.CSVLogger[*Model]

// TensorBoard writes TensorBoard event files during training, as Keras's TensorBoard
// callback (see callbacks.TensorBoard).
type TensorBoard = callbacks.TensorBoard[*Model]
