package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/portico-dev/portico/internal/jsonstrict"
)

// The support trailer is appended by the server to the agent binary it serves from an on-demand
// session's public page, so that the support agent knows its server and code without being told
// (docs/on-demand.md):
//
//	<binary bytes> <JSON: {"server": "...", "code": "..."}> <length of the JSON: 4 bytes, big-endian> "PORTICO-SUPPORT1"
//
// Executable loaders ignore bytes after the image, so the binary still runs.
const (
	// SupportTrailerMagic ends a binary that carries a support trailer.
	SupportTrailerMagic = "PORTICO-SUPPORT1"
	// MaxSupportTrailerJSON bounds the trailer's JSON.
	MaxSupportTrailerJSON = 4 << 10
	// SupportCodeDigits is the length of an on-demand code.
	SupportCodeDigits = 9

	trailerFooter = 4 + len(SupportTrailerMagic)
)

// SupportTrailer names the server of an on-demand session and its code.
type SupportTrailer struct {
	Server string `json:"server"`
	Code   string `json:"code"`
}

// Validate checks the server is an http(s) URL with a host and the code exactly nine ASCII digits.
func (t SupportTrailer) Validate() error {
	u, err := url.Parse(t.Server)
	switch {
	case err != nil:
		return fmt.Errorf("support trailer: server %q is not a URL", t.Server)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("support trailer: server %q is not an http(s) URL", t.Server)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("support trailer: server %q must be a plain http(s) URL with a host", t.Server)
	}
	if !ValidSupportCode(t.Code) {
		return fmt.Errorf("support trailer: code %q is not %d digits", t.Code, SupportCodeDigits)
	}
	return nil
}

// ValidSupportCode reports whether code is exactly SupportCodeDigits ASCII digits.
func ValidSupportCode(code string) bool {
	if len(code) != SupportCodeDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// AppendSupportTrailer writes t's trailer to w, which is positioned at the end of the binary. It
// refuses a trailer that ReadSupportTrailer would refuse.
func AppendSupportTrailer(w io.Writer, t SupportTrailer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("support trailer: %w", err)
	}
	if len(b) > MaxSupportTrailerJSON {
		return fmt.Errorf("support trailer: %d bytes of JSON, at most %d", len(b), MaxSupportTrailerJSON)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(b)))
	b = append(b, SupportTrailerMagic...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("support trailer: %w", err)
	}
	return nil
}

// ReadSupportTrailer reads the trailer at the end of the size bytes of r. found reports whether r ends
// with the magic: it is false, with no error, for an ordinary binary. When the magic is there but what
// comes before it is not a valid trailer, the error says why: a length beyond 4 KiB or beyond the file, JSON that does not
// decode strictly, a server that is not an http(s) URL, a code that is not nine digits.
func ReadSupportTrailer(r io.ReaderAt, size int64) (t SupportTrailer, found bool, err error) {
	if size < int64(trailerFooter) {
		return t, false, nil
	}
	footer := make([]byte, trailerFooter)
	if err := readFullAt(r, footer, size-int64(trailerFooter)); err != nil {
		return t, false, fmt.Errorf("support trailer: %w", err)
	}
	if !bytes.Equal(footer[4:], []byte(SupportTrailerMagic)) {
		return t, false, nil
	}
	n := binary.BigEndian.Uint32(footer[:4])
	switch {
	case n > MaxSupportTrailerJSON:
		return t, true, fmt.Errorf("support trailer: length %d beyond the limit of %d", n, MaxSupportTrailerJSON)
	case int64(n) > size-int64(trailerFooter):
		return t, true, fmt.Errorf("support trailer: length %d beyond the start of the file", n)
	}
	doc := make([]byte, n)
	if err := readFullAt(r, doc, size-int64(trailerFooter)-int64(n)); err != nil {
		return t, true, fmt.Errorf("support trailer: %w", err)
	}
	if err := jsonstrict.Unmarshal(doc, &t); err != nil {
		return SupportTrailer{}, true, fmt.Errorf("support trailer: %w", err)
	}
	if err := t.Validate(); err != nil {
		return SupportTrailer{}, true, err
	}
	return t, true, nil
}

// readFullAt fills p from r at off; a reader may report io.EOF along with the last bytes.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}
