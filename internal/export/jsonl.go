package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"iter"
)

// JSONLinesType is the media type of JSON Lines.
const JSONLinesType = "application/x-ndjson"

// JSONLines writes each value of seq as one line of JSON (JSON Lines, also called NDJSON), encoded as
// the API encodes it, and stops at the first error seq yields, which it returns. Lines go out as they
// come, through a small buffer, so that a long export is never held in memory.
func JSONLines[T any](w io.Writer, seq iter.Seq2[T, error]) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw) // Encode ends each value with a newline
	for v, err := range seq {
		if err != nil {
			return err
		}
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write json lines: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write json lines: %w", err)
	}
	return nil
}
