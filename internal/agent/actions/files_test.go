package actions

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/protocol"
)

func fileResp(t *testing.T, s *protocol.Stream) protocol.FileResponse {
	t.Helper()
	r, err := protocol.DecodeFileResponse(recv(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randomFile(t *testing.T, n int) ([]byte, string) {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

// sendChunks sends data[from:to] as chunks.
func sendChunks(t *testing.T, s *protocol.Stream, data []byte, from, to int) {
	t.Helper()
	for off := from; off < to; off += protocol.MaxFileChunk {
		end := min(off+protocol.MaxFileChunk, to)
		b, err := protocol.AppendFileChunk(nil, int64(off), data[off:end])
		if err != nil {
			t.Fatal(err)
		}
		send(t, s, b)
	}
}

// download fetches path from offset and checks the final checksum against the bytes received
// (prefix being what the caller already has).
func download(t *testing.T, s *protocol.Stream, id uint32, path string, prefix []byte) []byte {
	t.Helper()
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: id, Op: protocol.FileOpDownload, Path: path, Offset: int64(len(prefix))})
	first := fileResp(t, s)
	if !first.OK || first.Offset != int64(len(prefix)) {
		t.Fatalf("download answer %+v", first)
	}
	got := append([]byte(nil), prefix...)
	for {
		msg := recv(t, s)
		if msg[0] == protocol.KindFileResponse {
			end, err := protocol.DecodeFileResponse(msg)
			if err != nil {
				t.Fatal(err)
			}
			if !end.Done || end.ID != id {
				t.Fatalf("download end %+v", end)
			}
			sum := sha256.Sum256(got)
			if end.SHA256 != hex.EncodeToString(sum[:]) || end.Size != int64(len(got)) {
				t.Fatalf("download checksum %s size %d, received %x size %d", end.SHA256, end.Size, sum, len(got))
			}
			return got
		}
		off, data, err := protocol.DecodeFileChunk(msg)
		if err != nil {
			t.Fatal(err)
		}
		if off != int64(len(got)) {
			t.Fatalf("chunk at %d, have %d", off, len(got))
		}
		got = append(got, data...)
	}
}

func TestFileUploadDownload(t *testing.T) {
	dir := t.TempDir()
	ss := newSession(t, Streams())
	s := ss.open(ActionFileTransfer, nil)
	data, sum := randomFile(t, 3<<20+12345)
	path := filepath.Join(dir, "big.bin")

	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 1, Op: protocol.FileOpUpload, Path: path, Size: int64(len(data)), SHA256: sum})
	if r := fileResp(t, s); !r.OK || r.Offset != 0 {
		t.Fatalf("upload answer %+v", r)
	}
	sendChunks(t, s, data, 0, len(data))
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 2, Op: protocol.FileOpUploadEnd, Path: path})
	if r := fileResp(t, s); !r.OK || r.ID != 2 || r.SHA256 != sum {
		t.Fatalf("upload end %+v", r)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("uploaded file differs (%v)", err)
	}
	if _, err := os.Stat(path + partSuffix); !os.IsNotExist(err) {
		t.Fatalf("part file left behind: %v", err)
	}

	if got := download(t, s, 3, path, nil); !bytes.Equal(got, data) {
		t.Fatal("downloaded file differs")
	}
	// Resume a download from the middle: the checksum still covers the whole file.
	if got := download(t, s, 4, path, data[:1<<20+7]); !bytes.Equal(got, data) {
		t.Fatal("resumed download differs")
	}
	_ = s.Close("")
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
}

func TestFileUploadResumesAfterInterruption(t *testing.T) {
	dir := t.TempDir()
	ss := newSession(t, Streams())
	data, sum := randomFile(t, 1<<20+333)
	path := filepath.Join(dir, "resumed.bin")
	half := 8 * protocol.MaxFileChunk

	s := ss.open(ActionFileTransfer, nil)
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 1, Op: protocol.FileOpUpload, Path: path, Size: int64(len(data)), SHA256: sum})
	if r := fileResp(t, s); !r.OK || r.Offset != 0 {
		t.Fatalf("upload answer %+v", r)
	}
	sendChunks(t, s, data, 0, half)
	// A stat round trip makes sure the chunks before it were written.
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 2, Op: protocol.FileOpStat, Path: dir})
	fileResp(t, s)
	_ = s.Close("connection lost")
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("an interrupted upload must not appear under its final name")
	}

	s = ss.open(ActionFileTransfer, nil)
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 1, Op: protocol.FileOpUpload, Path: path, Size: int64(len(data)), SHA256: sum})
	r := fileResp(t, s)
	if !r.OK || r.Offset != int64(half) {
		t.Fatalf("resume answer %+v, want offset %d", r, half)
	}
	sendChunks(t, s, data, half, len(data))
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 2, Op: protocol.FileOpUploadEnd, Path: path})
	if r := fileResp(t, s); !r.OK {
		t.Fatalf("upload end %+v", r)
	}
	if onDisk, _ := os.ReadFile(path); !bytes.Equal(onDisk, data) {
		t.Fatal("resumed upload differs")
	}
}

func TestFileUploadRefusals(t *testing.T) {
	dir := t.TempDir()
	ss := newSession(t, Streams())
	s := ss.open(ActionFileTransfer, nil)
	data, _ := randomFile(t, 200000)
	_, otherSum := randomFile(t, 10)
	path := filepath.Join(dir, "x.bin")

	// Checksum mismatch: refused, nothing under the final name, part discarded.
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 1, Op: protocol.FileOpUpload, Path: path, Size: int64(len(data)), SHA256: otherSum})
	fileResp(t, s)
	sendChunks(t, s, data, 0, len(data))
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 2, Op: protocol.FileOpUploadEnd, Path: path})
	r := fileResp(t, s)
	if r.OK || r.Code != protocol.FileCodeChecksumMismatch || !strings.Contains(r.Error, "checksum mismatch") {
		t.Fatalf("mismatch answer %+v", r)
	}
	for _, p := range []string{path, path + partSuffix} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s exists after a checksum mismatch", p)
		}
	}

	// Incomplete: refused with its own code, part kept for resuming.
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 3, Op: protocol.FileOpUpload, Path: path, Size: int64(len(data)), SHA256: otherSum})
	fileResp(t, s)
	sendChunks(t, s, data, 0, 1000)
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 4, Op: protocol.FileOpUploadEnd, Path: path})
	if r := fileResp(t, s); r.Code != protocol.FileCodeIncomplete {
		t.Fatalf("incomplete answer %+v", r)
	}

	// A chunk out of order ends the upload with an error for the upload's id.
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 5, Op: protocol.FileOpUpload, Path: path, Size: int64(len(data)), SHA256: otherSum})
	if r := fileResp(t, s); r.Offset != 1000 {
		t.Fatalf("resume offset %d, want 1000", r.Offset)
	}
	sendChunks(t, s, data, 5000, 6000)
	if r := fileResp(t, s); r.OK || r.ID != 5 || !strings.Contains(r.Error, "expected 1000") {
		t.Fatalf("out-of-order answer %+v", r)
	}
	sendChunks(t, s, data, 6000, 7000) // in flight before the browser saw the error: ignored

	bad := []struct {
		req  protocol.FileRequest
		want string
	}{
		{protocol.FileRequest{ID: 10, Op: protocol.FileOpStat, Path: "relative/x"}, "not absolute"},
		{protocol.FileRequest{ID: 11, Op: protocol.FileOpList, Path: dir + "/../etc"}, "not clean"},
		{protocol.FileRequest{ID: 12, Op: protocol.FileOpList, Path: dir + "/"}, "not clean"},
		{protocol.FileRequest{ID: 13, Op: protocol.FileOpRename, Path: path, To: "y"}, "not absolute"},
		{protocol.FileRequest{ID: 14, Op: protocol.FileOpDelete, Path: "/"}, "root"},
		{protocol.FileRequest{ID: 15, Op: protocol.FileOpStat, Path: dir + "/missing"}, "no such file"},
		{protocol.FileRequest{ID: 16, Op: protocol.FileOpDownload, Path: dir}, "is a directory"},
		{protocol.FileRequest{ID: 17, Op: protocol.FileOpUploadEnd, Path: path}, "no upload"},
	}
	for _, tt := range bad {
		sendJSONT(t, s, protocol.KindFileRequest, tt.req)
		r := fileResp(t, s)
		if r.OK || r.ID != tt.req.ID || !strings.Contains(r.Error, tt.want) {
			t.Errorf("%s %q: answer %+v, want an error containing %q", tt.req.Op, tt.req.Path, r, tt.want)
		}
	}
	// A request that does not decode is answered, with its id, rather than ending the stream.
	send(t, s, append([]byte{protocol.KindFileRequest}, `{"id":20,"op":"stat","path":"/a\u0000b"}`...))
	if r := fileResp(t, s); r.OK || r.ID != 20 || r.Code != protocol.FileCodeBadRequest || !strings.Contains(r.Error, "NUL") {
		t.Fatalf("NUL path answer %+v", r)
	}
}

func TestFileBrowse(t *testing.T) {
	dir := t.TempDir()
	ss := newSession(t, Streams())
	s := ss.open(ActionFileTransfer, nil)
	do := func(req protocol.FileRequest) protocol.FileResponse {
		t.Helper()
		sendJSONT(t, s, protocol.KindFileRequest, req)
		return fileResp(t, s)
	}
	sub := filepath.Join(dir, "a", "b")
	if r := do(protocol.FileRequest{ID: 1, Op: protocol.FileOpMkdir, Path: sub}); !r.OK {
		t.Fatalf("mkdir %+v", r)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "f.txt"), []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	r := do(protocol.FileRequest{ID: 2, Op: protocol.FileOpList, Path: filepath.Join(dir, "a")})
	if !r.OK || r.More || len(r.Entries) != 2 {
		t.Fatalf("list %+v", r)
	}
	if e := r.Entries[0]; e.Name != "b" || !e.IsDir || e.Mode[0] != 'd' {
		t.Errorf("entry 0 %+v", e)
	}
	if e := r.Entries[1]; e.Name != "f.txt" || e.IsDir || e.Size != 5 || e.Mode != "-rw-r-----" || e.MTime == 0 {
		t.Errorf("entry 1 %+v", e)
	}
	if r := do(protocol.FileRequest{ID: 3, Op: protocol.FileOpRename, Path: filepath.Join(dir, "a", "f.txt"), To: sub}); r.Code != protocol.FileCodeExists {
		t.Errorf("rename onto an existing path: %+v", r)
	}
	if r := do(protocol.FileRequest{ID: 4, Op: protocol.FileOpRename, Path: filepath.Join(dir, "a", "f.txt"), To: filepath.Join(dir, "g.txt")}); !r.OK {
		t.Errorf("rename %+v", r)
	}
	if r := do(protocol.FileRequest{ID: 5, Op: protocol.FileOpStat, Path: filepath.Join(dir, "g.txt")}); !r.OK || r.Info.Size != 5 {
		t.Errorf("stat %+v", r)
	}
	if r := do(protocol.FileRequest{ID: 6, Op: protocol.FileOpDelete, Path: filepath.Join(dir, "a")}); r.OK || !strings.Contains(r.Error, "recursive") {
		t.Errorf("delete of a non-empty directory %+v", r)
	}
	if r := do(protocol.FileRequest{ID: 7, Op: protocol.FileOpDelete, Path: filepath.Join(dir, "a"), Recursive: true}); !r.OK {
		t.Errorf("recursive delete %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Error("directory still there after delete")
	}

	// A long listing comes in pages.
	many := filepath.Join(dir, "many")
	_ = os.Mkdir(many, 0o755)
	for i := 0; i < 1500; i++ {
		name := filepath.Join(many, strings.Repeat("n", 40)+strings.Repeat("x", i%7)+"-"+hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sendJSONT(t, s, protocol.KindFileRequest, protocol.FileRequest{ID: 8, Op: protocol.FileOpList, Path: many})
	total, pagesSeen := 0, 0
	for {
		r := fileResp(t, s)
		total += len(r.Entries)
		pagesSeen++
		if !r.More {
			break
		}
	}
	if total != 1500 || pagesSeen < 2 {
		t.Fatalf("listing of 1500 files: %d entries in %d pages", total, pagesSeen)
	}
	_ = context.Background
}
