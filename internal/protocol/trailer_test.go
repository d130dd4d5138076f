package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// withTrailer returns body followed by a trailer around doc, whose length field says n.
func withTrailer(body, doc string, n uint32) []byte {
	b := append([]byte(body), doc...)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, SupportTrailerMagic...)
}

func rawTrailer(body, doc string) []byte { return withTrailer(body, doc, uint32(len(doc))) }

func readTrailer(b []byte) (SupportTrailer, bool, error) {
	return ReadSupportTrailer(bytes.NewReader(b), int64(len(b)))
}

func TestSupportTrailerRoundTrip(t *testing.T) {
	for _, tr := range []SupportTrailer{
		{Server: "https://portico.example.com", Code: "123456789"},
		{Server: "http://10.0.0.5:8080/portico", Code: "000000000"},
		{Server: "https://[2001:db8::1]:8443", Code: "987654321"},
	} {
		var buf bytes.Buffer
		buf.WriteString("\x7fELF binary bytes")
		if err := AppendSupportTrailer(&buf, tr); err != nil {
			t.Fatalf("append %+v: %v", tr, err)
		}
		got, found, err := readTrailer(buf.Bytes())
		if err != nil || !found || got != tr {
			t.Errorf("read back %+v: %+v, %v, %v", tr, got, found, err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("\x7fELF binary bytes")) {
			t.Error("the binary's bytes changed")
		}
	}
}

func TestAppendSupportTrailerRefusesWhatReadRefuses(t *testing.T) {
	for _, tr := range []SupportTrailer{
		{Server: "ftp://portico.example.com", Code: "123456789"},
		{Server: "https://portico.example.com", Code: "12345678"},
		{Server: "https://portico.example.com", Code: "123 456 789"},
		{Server: "", Code: "123456789"},
		{Server: "https://portico.example.com/" + strings.Repeat("a", MaxSupportTrailerJSON), Code: "123456789"},
	} {
		var buf bytes.Buffer
		if err := AppendSupportTrailer(&buf, tr); err == nil || buf.Len() != 0 {
			t.Errorf("append %+v: err %v, wrote %d bytes", tr, err, buf.Len())
		}
	}
}

func TestReadSupportTrailer(t *testing.T) {
	good := `{"server":"https://portico.example.com","code":"123456789"}`
	for _, tc := range []struct {
		name  string
		file  []byte
		found bool
		want  string // substring of the error, "" for none
	}{
		{"empty file", nil, false, ""},
		{"ordinary binary", []byte("\x7fELF" + strings.Repeat("\x00", 100)), false, ""},
		{"shorter than the footer", []byte(SupportTrailerMagic), false, ""},
		{"magic almost", append([]byte(good+"\x00\x00\x00\x3b"), "PORTICO-SUPPORT2"...), false, ""},
		{"good", rawTrailer("bin", good), true, ""},
		{"good, nothing before", rawTrailer("", good), true, ""},
		{"length over 4 KiB", withTrailer("bin", good, MaxSupportTrailerJSON+1), true, "beyond the limit"},
		{"length beyond the file", withTrailer("", good, uint32(len(good)+1)), true, "beyond the start of the file"},
		{"length too short", withTrailer("bin", good, uint32(len(good)-1)), true, "support trailer"},
		{"not JSON", rawTrailer("bin", "server=x"), true, "support trailer"},
		{"JSON array", rawTrailer("bin", `["https://a","123456789"]`), true, "must be a JSON object"},
		{"unknown field", rawTrailer("bin", `{"server":"https://a","code":"123456789","x":1}`), true, "unknown field"},
		{"key twice", rawTrailer("bin", `{"server":"https://a","code":"123456789","code":"123456789"}`), true, "twice"},
		{"key in the wrong case", rawTrailer("bin", `{"Server":"https://a","code":"123456789"}`), true, "Server"},
		{"trailing data", rawTrailer("bin", good+` {}`), true, "nothing after it"},
		{"null code", rawTrailer("bin", `{"server":"https://a","code":null}`), true, "code"},
		{"server missing", rawTrailer("bin", `{"code":"123456789"}`), true, "not an http(s) URL"},
		{"server not http", rawTrailer("bin", `{"server":"file:///etc/passwd","code":"123456789"}`), true, "not an http(s) URL"},
		{"server without host", rawTrailer("bin", `{"server":"https://","code":"123456789"}`), true, "with a host"},
		{"server with a query", rawTrailer("bin", `{"server":"https://a/?x=1","code":"123456789"}`), true, "with a host"},
		{"server with credentials", rawTrailer("bin", `{"server":"https://u:p@a","code":"123456789"}`), true, "with a host"},
		{"code too short", rawTrailer("bin", `{"server":"https://a","code":"12345678"}`), true, "not 9 digits"},
		{"code too long", rawTrailer("bin", `{"server":"https://a","code":"1234567890"}`), true, "not 9 digits"},
		{"code with spaces", rawTrailer("bin", `{"server":"https://a","code":"123 45678"}`), true, "not 9 digits"},
		{"code with other digits", rawTrailer("bin", `{"server":"https://a","code":"١٢٣٤٥٦٧٨٩"}`), true, "not 9 digits"},
		{"code a number", rawTrailer("bin", `{"server":"https://a","code":123456789}`), true, "support trailer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := readTrailer(tc.file)
			if found != tc.found {
				t.Errorf("found = %v, want %v", found, tc.found)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			case tc.want != "" && got != (SupportTrailer{}):
				t.Errorf("a refused trailer returned %+v", got)
			}
		})
	}
}

// failingReaderAt fails every read, as a file that cannot be read would.
type failingReaderAt struct{}

func (failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestReadSupportTrailerReadError(t *testing.T) {
	if _, found, err := ReadSupportTrailer(failingReaderAt{}, 100); found || err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("found %v, err %v", found, err)
	}
	// A size larger than what the reader holds is a short read, not a trailer.
	b := rawTrailer("bin", `{"server":"https://a","code":"123456789"}`)
	if _, _, err := ReadSupportTrailer(bytes.NewReader(b), int64(len(b))+10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("size past the end: %v", err)
	}
}

func TestValidSupportCode(t *testing.T) {
	for code, want := range map[string]bool{"123456789": true, "000000000": true, "12345678": false,
		"1234567890": false, "12345678a": false, "": false, "123-456-789": false, "１２３４５６７８９": false} {
		if ValidSupportCode(code) != want {
			t.Errorf("ValidSupportCode(%q) = %v", code, !want)
		}
	}
}

// FuzzReadSupportTrailer checks ReadSupportTrailer on arbitrary file endings: it never panics, a refusal
// returns no trailer, and what it accepts is a valid trailer that AppendSupportTrailer writes and
// ReadSupportTrailer reads back unchanged.
func FuzzReadSupportTrailer(f *testing.F) {
	good := `{"server":"https://portico.example.com","code":"123456789"}`
	f.Add(rawTrailer("bin", good))
	f.Add(rawTrailer("", good))
	f.Add(withTrailer("", good, 0xffffffff))
	f.Add(withTrailer("bin", good, uint32(len(good)+4)))
	f.Add(rawTrailer("", `{"server":"https://a","code":"123456789","code":"1"}`))
	f.Add(rawTrailer("", `{"server":"http://a:1/p","code":"000000000"}`))
	f.Add([]byte(SupportTrailerMagic))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, found, err := readTrailer(b)
		if !found {
			if err != nil || tr != (SupportTrailer{}) {
				t.Fatalf("no trailer, yet %+v, %v", tr, err)
			}
			if bytes.HasSuffix(b, []byte(SupportTrailerMagic)) && len(b) >= trailerFooter {
				t.Fatal("the magic was missed")
			}
			return
		}
		if err != nil {
			if tr != (SupportTrailer{}) {
				t.Fatalf("refused trailer returned %+v", tr)
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("accepted an invalid trailer %+v: %v", tr, err)
		}
		var buf bytes.Buffer
		if err := AppendSupportTrailer(&buf, tr); err != nil {
			t.Fatalf("accepted trailer %+v does not write: %v", tr, err)
		}
		again, found, err := readTrailer(buf.Bytes())
		if err != nil || !found || again != tr {
			t.Fatalf("trailer %+v written and read back: %+v, %v, %v", tr, again, found, err)
		}
	})
}
