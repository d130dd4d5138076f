package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/portico-dev/portico/internal/protocol"
)

// partSuffix names the file an upload is written to until it is complete and verified.
const partSuffix = ".portico-part"

// serveFiles answers file_transfer requests until the peer closes the stream.
func serveFiles(ctx context.Context, s stream, _ json.RawMessage) error {
	ft := &fileTransfer{s: s}
	defer ft.abortUpload()
	// handle keeps nothing of a message once it returns (chunks are written, requests decoded), so
	// the message's memory can be lent rather than copied out.
	handle := func(msg []byte) error { return ft.handle(ctx, msg) }
	for {
		if err := s.RecvFunc(ctx, handle); err != nil {
			if peerClosed(err) {
				return nil
			}
			return err
		}
	}
}

// fileTransfer is the state of one file_transfer stream: at most one upload at a time.
type fileTransfer struct {
	s  stream
	up *upload
	// dropChunks is set when an upload was abandoned: the chunks the browser already sent for it
	// are ignored until its next request.
	dropChunks bool
}

type upload struct {
	id      uint32
	path    string
	size    int64
	sum     string
	f       *os.File
	h       hash.Hash
	written int64
}

// handle processes one message; a returned error ends the stream.
func (ft *fileTransfer) handle(ctx context.Context, msg []byte) error {
	kind, err := protocol.Kind(msg)
	if err != nil {
		return err
	}
	switch kind {
	case protocol.KindFileChunk:
		off, data, err := protocol.DecodeFileChunk(msg)
		if err != nil {
			return err
		}
		return ft.chunk(ctx, off, data)
	case protocol.KindFileRequest:
		ft.dropChunks = false
		req, err := protocol.DecodeFileRequest(msg)
		if err != nil {
			var probe struct {
				ID uint32 `json:"id"`
			}
			_ = json.Unmarshal(msg[1:], &probe)
			return ft.fail(ctx, probe.ID, protocol.FileCodeBadRequest, err)
		}
		return ft.request(ctx, req)
	default:
		return fmt.Errorf("%w: message kind 0x%02x on a file_transfer stream", protocol.ErrMalformed, kind)
	}
}

func (ft *fileTransfer) reply(ctx context.Context, r protocol.FileResponse) error {
	return sendJSON(ctx, ft.s, protocol.KindFileResponse, r)
}

func (ft *fileTransfer) fail(ctx context.Context, id uint32, code string, err error) error {
	return ft.reply(ctx, protocol.FileResponse{ID: id, Error: err.Error(), Code: code})
}

// failOS answers with the code that matches an OS error.
func (ft *fileTransfer) failOS(ctx context.Context, id uint32, err error) error {
	code := protocol.FileCodeIO
	switch {
	case errors.Is(err, fs.ErrNotExist):
		code = protocol.FileCodeNotFound
	case errors.Is(err, fs.ErrExist):
		code = protocol.FileCodeExists
	case errors.Is(err, fs.ErrPermission):
		code = protocol.FileCodePermission
	}
	return ft.fail(ctx, id, code, err)
}

// checkPath refuses a path that is not absolute and clean in this OS's syntax.
func checkPath(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("path %q is not absolute", p)
	}
	if c := filepath.Clean(p); c != p {
		return fmt.Errorf("path %q is not clean (did you mean %q?)", p, c)
	}
	return nil
}

func (ft *fileTransfer) request(ctx context.Context, req protocol.FileRequest) error {
	if err := checkPath(req.Path); err != nil {
		return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, err)
	}
	if req.Op == protocol.FileOpRename {
		if err := checkPath(req.To); err != nil {
			return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, err)
		}
	}
	switch req.Op {
	case protocol.FileOpList:
		return ft.list(ctx, req)
	case protocol.FileOpStat:
		st, err := os.Stat(req.Path)
		if err != nil {
			return ft.failOS(ctx, req.ID, err)
		}
		info := fileInfo(st)
		return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true, Info: &info})
	case protocol.FileOpMkdir:
		if err := os.MkdirAll(req.Path, 0o755); err != nil {
			return ft.failOS(ctx, req.ID, err)
		}
		return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true})
	case protocol.FileOpDelete:
		return ft.remove(ctx, req)
	case protocol.FileOpRename:
		if _, err := os.Lstat(req.To); err == nil {
			return ft.fail(ctx, req.ID, protocol.FileCodeExists, fmt.Errorf("%s already exists", req.To))
		}
		if err := os.Rename(req.Path, req.To); err != nil {
			return ft.failOS(ctx, req.ID, err)
		}
		return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true})
	case protocol.FileOpDownload:
		return ft.download(ctx, req)
	case protocol.FileOpUpload:
		return ft.beginUpload(ctx, req)
	case protocol.FileOpUploadEnd:
		return ft.endUpload(ctx, req)
	}
	return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, fmt.Errorf("unknown operation %q", req.Op))
}

func fileInfo(st fs.FileInfo) protocol.FileInfo {
	return protocol.FileInfo{
		Name:  st.Name(),
		Size:  st.Size(),
		Mode:  st.Mode().String(),
		MTime: st.ModTime().Unix(),
		IsDir: st.IsDir(),
	}
}

func (ft *fileTransfer) list(ctx context.Context, req protocol.FileRequest) error {
	entries, err := os.ReadDir(req.Path)
	if err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	infos := make([]protocol.FileInfo, 0, len(entries))
	for _, e := range entries {
		st, err := e.Info()
		if err != nil {
			continue // removed while listing
		}
		infos = append(infos, fileInfo(st))
	}
	ps := pages(infos)
	for i, p := range ps {
		r := protocol.FileResponse{ID: req.ID, OK: true, Entries: p, More: i < len(ps)-1}
		if r.Entries == nil {
			r.Entries = []protocol.FileInfo{}
		}
		if err := ft.reply(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (ft *fileTransfer) remove(ctx context.Context, req protocol.FileRequest) error {
	if filepath.Dir(req.Path) == req.Path {
		return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, fmt.Errorf("refusing to delete the root %s", req.Path))
	}
	st, err := os.Lstat(req.Path)
	if err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	if st.IsDir() && req.Recursive {
		err = os.RemoveAll(req.Path)
	} else {
		err = os.Remove(req.Path)
		if err != nil && st.IsDir() {
			err = fmt.Errorf("%s is a directory that is not empty: delete it with recursive=true (%w)", req.Path, err)
		}
	}
	if err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true})
}

// download sends the file from req.Offset on, then the SHA-256 of the whole file.
func (ft *fileTransfer) download(ctx context.Context, req protocol.FileRequest) error {
	f, err := os.Open(req.Path)
	if err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	if st.IsDir() {
		return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, fmt.Errorf("%s is a directory", req.Path))
	}
	size := st.Size()
	if req.Offset > size {
		return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, fmt.Errorf("offset %d is beyond the end of the file (%d bytes)", req.Offset, size))
	}
	h := sha256.New()
	// The checksum covers the whole file, so a resumed download hashes the part already sent.
	if req.Offset > 0 {
		if _, err := io.CopyN(h, f, req.Offset); err != nil {
			return ft.failOS(ctx, req.ID, fmt.Errorf("read %s: %w", req.Path, err))
		}
	}
	if err := ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true, Size: size, Offset: req.Offset}); err != nil {
		return err
	}
	// Each chunk is read into its place in a frame, after room for the frame's and the chunk's
	// headers, and sent from there: the data is not copied on its way to the connection.
	const dataAt = protocol.FrameHeadroom + protocol.FileChunkHeaderLen
	buf := make([]byte, dataAt+protocol.MaxFileChunk)
	data := buf[dataAt:]
	off := req.Offset
	for off < size {
		n, err := io.ReadFull(f, data[:min(int64(len(data)), size-off)])
		if n > 0 {
			h.Write(data[:n])
			if _, err := protocol.AppendFileChunkHeader(buf[:protocol.FrameHeadroom], off); err != nil {
				return err
			}
			if err := ft.s.SendInPlace(ctx, buf[:dataAt+n]); err != nil {
				return fmt.Errorf("send chunk: %w", err)
			}
			off += int64(n)
		}
		if err != nil {
			// The file shrank while it was being sent.
			return ft.failOS(ctx, req.ID, fmt.Errorf("read %s at %d: %w", req.Path, off, err))
		}
	}
	return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true, Done: true, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
}

// beginUpload opens (or reopens, to resume) the part file and tells the browser where to go on.
func (ft *fileTransfer) beginUpload(ctx context.Context, req protocol.FileRequest) error {
	ft.abortUpload()
	if st, err := os.Stat(req.Path); err == nil && st.IsDir() {
		return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, fmt.Errorf("%s is a directory", req.Path))
	}
	part := req.Path + partSuffix
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return ft.failOS(ctx, req.ID, err)
	}
	have := st.Size()
	if have > req.Size {
		// Left over from a different, larger file: start again.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return ft.failOS(ctx, req.ID, err)
		}
		have = 0
	}
	h := sha256.New()
	if _, err := io.CopyN(h, f, have); err != nil {
		f.Close()
		return ft.failOS(ctx, req.ID, fmt.Errorf("read %s: %w", part, err))
	}
	ft.up = &upload{id: req.ID, path: req.Path, size: req.Size, sum: strings.ToLower(req.SHA256), f: f, h: h, written: have}
	return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true, Offset: have, Size: req.Size})
}

func (ft *fileTransfer) chunk(ctx context.Context, off int64, data []byte) error {
	if ft.dropChunks {
		return nil
	}
	up := ft.up
	if up == nil {
		return fmt.Errorf("%w: file chunk without an upload in progress", protocol.ErrMalformed)
	}
	var problem error
	switch {
	case off != up.written:
		problem = fmt.Errorf("chunk at offset %d, expected %d", off, up.written)
	case up.written+int64(len(data)) > up.size:
		problem = fmt.Errorf("chunk ends at %d, beyond the announced size %d", up.written+int64(len(data)), up.size)
	}
	if problem == nil {
		if _, err := up.f.Write(data); err != nil {
			problem = fmt.Errorf("write %s: %w", up.path+partSuffix, err)
		}
	}
	if problem != nil {
		// The part file keeps what was written, so the upload can resume from there.
		ft.abortUpload()
		ft.dropChunks = true
		return ft.fail(ctx, up.id, protocol.FileCodeBadRequest, problem)
	}
	up.h.Write(data)
	up.written += int64(len(data))
	return nil
}

func (ft *fileTransfer) endUpload(ctx context.Context, req protocol.FileRequest) error {
	up := ft.up
	if up == nil || up.path != req.Path {
		return ft.fail(ctx, req.ID, protocol.FileCodeBadRequest, fmt.Errorf("no upload of %s in progress", req.Path))
	}
	ft.up = nil
	part := up.path + partSuffix
	if up.written != up.size {
		up.f.Close()
		return ft.fail(ctx, req.ID, protocol.FileCodeIncomplete, fmt.Errorf("upload of %s has %d of %d bytes; resume it", up.path, up.written, up.size))
	}
	got := hex.EncodeToString(up.h.Sum(nil))
	if got != up.sum {
		up.f.Close()
		_ = os.Remove(part)
		return ft.fail(ctx, req.ID, protocol.FileCodeChecksumMismatch, fmt.Errorf("checksum mismatch: the file received has SHA-256 %s, expected %s; it was discarded", got, up.sum))
	}
	if err := up.f.Sync(); err != nil {
		up.f.Close()
		return ft.failOS(ctx, req.ID, fmt.Errorf("sync %s: %w", part, err))
	}
	if err := up.f.Close(); err != nil {
		return ft.failOS(ctx, req.ID, fmt.Errorf("close %s: %w", part, err))
	}
	if err := os.Rename(part, up.path); err != nil {
		return ft.failOS(ctx, req.ID, err)
	}
	return ft.reply(ctx, protocol.FileResponse{ID: req.ID, OK: true, Size: up.size, SHA256: got})
}

// abortUpload drops the upload in progress, keeping its part file for a later resume.
func (ft *fileTransfer) abortUpload() {
	if ft.up != nil {
		ft.up.f.Close()
		ft.up = nil
	}
}
