package protocol

// Stream formats of the remote actions.
//
// A stream opened for an action (OpenRequest.Action is the device permission suffix: terminal,
// file_transfer, task_manager, registry, clipboard, screenshot, screen_view, remote_control) carries
// messages whose first byte is a kind (the Kind* constants) and whose rest depends on the kind. Every
// message is at most MaxPayload bytes. The server relays stream messages unchanged, so these formats
// are spoken end to end by the browser and the agent. Integers are big-endian. A message of a kind the
// receiver does not expect on that stream, or one that fails the checks below, ends the stream with a
// reason naming the problem.
//
// The stream ends when either side closes it. The agent closes it with an empty reason after a normal
// end (the terminal's shell exited) and with the error's text otherwise (for example "screen_view: no
// display available" or "registry: not supported on this OS").
//
// # terminal
//
// Open args (JSON): {"cols": 80, "rows": 24, "shell": "/bin/zsh"}; cols and rows default to 80×24 and
// are at most MaxTermSize; shell is optional (absolute path; default: the user's login shell on
// Unix, PowerShell on Windows).
//
//	browser → agent  0x10 input   raw bytes typed by the user (at most MaxPayload-1)
//	browser → agent  0x11 resize  cols uint16, rows uint16 (both 1…MaxTermSize)
//	agent → browser  0x12 output  raw bytes written by the terminal
//	agent → browser  0x13 exit    code int32: the shell exited with this code; the agent closes
//	                              the stream right after
//
// Closing the stream from the browser kills the shell and everything it started.
//
// # file_transfer
//
// Open args: none. Requests and responses are JSON objects (FileRequest, FileResponse); chunks are
// binary. The browser numbers its requests (id); every response carries the id of the request it
// answers. Requests are handled one at a time in order; a download occupies the stream until it
// ends (open a second stream to browse meanwhile, or close the stream to cancel).
//
//	browser → agent  0x20 request   JSON FileRequest
//	agent → browser  0x21 response  JSON FileResponse
//	either way       0x22 chunk     offset uint64, then 1…MaxFileChunk bytes of file content
//
// Paths are absolute in the device's own syntax ("/home/ann/a.txt", `C:\Users\ann\a.txt`) and
// clean: no "." or ".." element, no doubled separator, no trailing separator (except the root).
// Operations (FileRequest.Op):
//
//	list        path: a directory → entries (name, size, mode, mtime, is_dir), sorted by name; a long
//	            listing comes in several responses with more=true on all but the last
//	stat        path → info
//	mkdir       path (parents are created too) → ok
//	delete      path; a non-empty directory needs recursive=true → ok
//	rename      path, to → ok (refused when to exists)
//	download    path, offset (0 or where a previous download stopped) → a response with size and
//	            offset, then chunks from offset to the end of the file, then a response with done=true,
//	            size and sha256 (hex, of the whole file, not only of the part sent)
//	upload      path, size, sha256 (hex of the whole file) → a response with offset: the bytes the agent
//	            already holds from an earlier, interrupted upload of the same path (kept in
//	            path+".portico-part"); the browser then sends chunks from that offset on, in order
//	upload_end  path (same as upload) → the agent checks that it holds size bytes whose SHA-256 is
//	            sha256, renames the part into place (replacing path) and answers ok; otherwise it
//	            answers code "checksum_mismatch" (or "incomplete") and deletes the part
//
// A failed request is answered with ok=false, error (a sentence) and code (one of the FileCode*
// constants). A chunk that does not continue the upload in progress ends that upload with an error
// response carrying the upload's id; the part file is kept so the upload can resume.
//
// # task_manager
//
// Open args: none.
//
//	browser → agent  0x30 request   JSON TaskRequest
//	agent → browser  0x31 response  JSON TaskResponse
//
// Operations: "processes" → processes (pid, name, user, cpu_percent sampled over a short interval,
// memory_bytes resident, command_line); "kill" pid → ok; "services" → services (name, description,
// state), where the OS has a service manager (systemd, Windows services); "service" name, verb
// (start, stop, restart) → ok. Long lists come in several responses with more=true on all but the
// last.
//
// # registry (Windows only)
//
// Open args: none.
//
//	browser → agent  0x40 request   JSON RegistryRequest
//	agent → browser  0x41 response  JSON RegistryResponse
//
// Keys are written with their root: `HKLM\SOFTWARE\Portico` (roots HKLM, HKCU, HKCR, HKU, HKCC or
// their long names). Operations: "keys" key → keys (sub-key names); "values" key → values; "read"
// key, name → values (one); "set" key, name, type, value (or values for multi_string) → ok (the key
// is created if missing). Value types: string, expand_string, multi_string (values), dword and qword
// (decimal text, so that 64-bit numbers survive JavaScript), binary (hex).
//
// # clipboard
//
// Open args: none.
//
//	browser → agent  0x50 request   JSON ClipboardRequest: {"id":1,"op":"get"} or {"id":2,"op":"set","text":"…"}
//	agent → browser  0x51 response  JSON ClipboardResponse: text for get
//
// # screenshot
//
// Open args: {"display": 0} (optional, 0 = primary). The agent sends one image and closes the stream.
//
//	agent → browser  0x60 begin  JSON ImageBegin {"width","height","size","format":"png","display"}
//	agent → browser  0x61 chunk  the next bytes of the PNG file (at most MaxPayload-1)
//	agent → browser  0x62 end    JSON ImageEnd {"sha256"} of the whole file
//
// # screen_view and remote_control
//
// Open args: {"fps": 10, "display": 0, "format": "png", "quality": 75}; fps 1…30 (default 10),
// format "png" (default) or "jpeg" (quality 1…100, default 75). The agent captures the screen at most
// fps times a second and sends a frame only when something changed. The screen is cut in tiles of
// at most TileSize×TileSize pixels; a frame carries only the tiles that differ from the previous
// capture. The first frame, and the first after a change of screen size, is full (flag 1): every
// tile, and the browser resizes its canvas to width×height.
//
//	agent → browser  0x70 frame begin  seq uint32, width uint16, height uint16, flags uint8 (bit 0: full)
//	agent → browser  0x71 tile         x uint16, y uint16, w uint16, h uint16, format uint8
//	                                   (1 PNG, 2 JPEG), then the encoded image of the tile
//	agent → browser  0x72 frame end    seq uint32: draw the frame now
//
// remote_control adds input from the browser (screen_view refuses these):
//
//	browser → agent  0x78 pointer move    x uint16, y uint16 (screen pixels)
//	browser → agent  0x79 pointer button  button uint8 (1 left, 2 middle, 3 right, 4–7 wheel and
//	                                      side buttons as in X11), down uint8 (1 pressed, 0 released)
//	browser → agent  0x7A wheel           dx int16, dy int16 (notches; dy > 0 scrolls down)
//	browser → agent  0x7B key             keysym uint32 (X11 keysym, as in KeyboardEvent-to-keysym
//	                                      tables), down uint8
//
// # Commands
//
// One-shot actions travel as a Command control message, not on a stream; their args are below
// (WakeArgs, BlankScreenArgs). reboot, lock and ctrl_alt_del take none.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/portico-dev/portico/internal/jsonstrict"
)

// Stream message kinds: the first byte of every message of an action stream.
const (
	KindTermInput  byte = 0x10
	KindTermResize byte = 0x11
	KindTermOutput byte = 0x12
	KindTermExit   byte = 0x13

	KindFileRequest  byte = 0x20
	KindFileResponse byte = 0x21
	KindFileChunk    byte = 0x22

	KindTaskRequest  byte = 0x30
	KindTaskResponse byte = 0x31

	KindRegistryRequest  byte = 0x40
	KindRegistryResponse byte = 0x41

	KindClipboardRequest  byte = 0x50
	KindClipboardResponse byte = 0x51

	KindImageBegin byte = 0x60
	KindImageChunk byte = 0x61
	KindImageEnd   byte = 0x62

	KindFrameBegin    byte = 0x70
	KindFrameTile     byte = 0x71
	KindFrameEnd      byte = 0x72
	KindPointerMove   byte = 0x78
	KindPointerButton byte = 0x79
	KindWheel         byte = 0x7A
	KindKey           byte = 0x7B
)

// Limits of the action formats.
const (
	// MaxTermSize bounds a terminal's columns and rows.
	MaxTermSize = 1000
	// MaxFileChunk is the most file content one chunk carries (the 9-byte header keeps the message
	// within MaxPayload).
	MaxFileChunk = 60 << 10
	// MaxPathLen bounds a path in a file request, in bytes.
	MaxPathLen = 4096
	// TileSize is the largest tile edge of a screen frame, in pixels.
	TileSize = 64
	// MaxFPS caps the frame rate a viewer may ask for.
	MaxFPS = 30
	// MaxClipboardText bounds clipboard text so that a response fits one message.
	MaxClipboardText = 60 << 10
)

// Tile formats.
const (
	TilePNG  byte = 1
	TileJPEG byte = 2
)

// File response codes: what went wrong, for the browser to react to without parsing the sentence.
const (
	FileCodeBadRequest       = "bad_request"
	FileCodeNotFound         = "not_found"
	FileCodeExists           = "exists"
	FileCodePermission       = "permission_denied"
	FileCodeChecksumMismatch = "checksum_mismatch"
	FileCodeIncomplete       = "incomplete"
	FileCodeIO               = "io_error"
)

// Kind returns the kind byte of a stream message.
func Kind(msg []byte) (byte, error) {
	if len(msg) == 0 {
		return 0, fmt.Errorf("%w: empty stream message", ErrMalformed)
	}
	if len(msg) > MaxPayload {
		return 0, fmt.Errorf("%w: stream message of %d bytes", ErrFrameTooLarge, len(msg))
	}
	return msg[0], nil
}

func expectKind(msg []byte, kind byte, minLen int) error {
	k, err := Kind(msg)
	if err != nil {
		return err
	}
	if k != kind {
		return fmt.Errorf("%w: message kind 0x%02x, want 0x%02x", ErrMalformed, k, kind)
	}
	if len(msg)-1 < minLen {
		return fmt.Errorf("%w: kind 0x%02x message of %d bytes, want at least %d", ErrMalformed, kind, len(msg), minLen+1)
	}
	return nil
}

func expectLen(msg []byte, kind byte, n int) error {
	if err := expectKind(msg, kind, n); err != nil {
		return err
	}
	if len(msg)-1 != n {
		return fmt.Errorf("%w: kind 0x%02x message of %d bytes, want %d", ErrMalformed, kind, len(msg), n+1)
	}
	return nil
}

// EncodeBytes builds a message of the given kind carrying raw bytes (terminal input and output,
// image chunks).
func EncodeBytes(kind byte, data []byte) ([]byte, error) {
	if len(data)+1 > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrFrameTooLarge, len(data), MaxPayload-1)
	}
	b := make([]byte, 1+len(data))
	b[0] = kind
	copy(b[1:], data)
	return b, nil
}

// DecodeBytes returns the raw bytes of a message of the given kind; they alias msg.
func DecodeBytes(msg []byte, kind byte) ([]byte, error) {
	if err := expectKind(msg, kind, 0); err != nil {
		return nil, err
	}
	return msg[1:], nil
}

// EncodeJSON builds a message of the given kind carrying v as JSON.
func EncodeJSON(kind byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte(kind)
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("protocol: encode kind 0x%02x: %w", kind, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("%w: kind 0x%02x message of %d bytes", ErrFrameTooLarge, kind, len(b))
	}
	return b, nil
}

// DecodeJSON decodes a JSON message of the given kind into v strictly (see jsonstrict: no unknown
// field, no key twice, valid UTF-8, nothing after the object…).
func DecodeJSON(msg []byte, kind byte, v any) error {
	if err := expectKind(msg, kind, 2); err != nil {
		return err
	}
	if err := jsonstrict.Unmarshal(msg[1:], v); err != nil {
		return fmt.Errorf("%w: kind 0x%02x message: %v", ErrMalformed, kind, err)
	}
	return nil
}

// decodeArgs decodes open or command args strictly; empty or null args leave v as it is.
func decodeArgs(raw json.RawMessage, what string, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	if err := jsonstrict.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %s args: %v", ErrMalformed, what, err)
	}
	return nil
}

// ---- terminal ----

// TerminalArgs are the open args of a terminal stream.
type TerminalArgs struct {
	Cols  int    `json:"cols,omitempty"`
	Rows  int    `json:"rows,omitempty"`
	Shell string `json:"shell,omitempty"`
}

// DecodeTerminalArgs decodes and checks terminal open args, filling in the defaults (80×24).
func DecodeTerminalArgs(raw json.RawMessage) (TerminalArgs, error) {
	a := TerminalArgs{}
	if err := decodeArgs(raw, "terminal", &a); err != nil {
		return a, err
	}
	if a.Cols == 0 {
		a.Cols = 80
	}
	if a.Rows == 0 {
		a.Rows = 24
	}
	if a.Cols < 1 || a.Cols > MaxTermSize || a.Rows < 1 || a.Rows > MaxTermSize {
		return a, fmt.Errorf("%w: terminal size %d×%d, each must be 1…%d", ErrMalformed, a.Cols, a.Rows, MaxTermSize)
	}
	if strings.ContainsRune(a.Shell, 0) || !utf8.ValidString(a.Shell) || len(a.Shell) > MaxPathLen {
		return a, fmt.Errorf("%w: terminal shell is not a valid path", ErrMalformed)
	}
	return a, nil
}

// TermSize is a terminal's size in character cells.
type TermSize struct {
	Cols, Rows int
}

// EncodeTermResize builds a resize message.
func EncodeTermResize(s TermSize) ([]byte, error) {
	if s.Cols < 1 || s.Cols > MaxTermSize || s.Rows < 1 || s.Rows > MaxTermSize {
		return nil, fmt.Errorf("%w: terminal size %d×%d, each must be 1…%d", ErrMalformed, s.Cols, s.Rows, MaxTermSize)
	}
	b := []byte{KindTermResize, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[1:], uint16(s.Cols))
	binary.BigEndian.PutUint16(b[3:], uint16(s.Rows))
	return b, nil
}

// DecodeTermResize decodes a resize message.
func DecodeTermResize(msg []byte) (TermSize, error) {
	if err := expectLen(msg, KindTermResize, 4); err != nil {
		return TermSize{}, err
	}
	s := TermSize{Cols: int(binary.BigEndian.Uint16(msg[1:])), Rows: int(binary.BigEndian.Uint16(msg[3:]))}
	if s.Cols < 1 || s.Cols > MaxTermSize || s.Rows < 1 || s.Rows > MaxTermSize {
		return TermSize{}, fmt.Errorf("%w: terminal size %d×%d, each must be 1…%d", ErrMalformed, s.Cols, s.Rows, MaxTermSize)
	}
	return s, nil
}

// EncodeTermExit builds an exit message.
func EncodeTermExit(code int32) []byte {
	b := []byte{KindTermExit, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(code))
	return b
}

// DecodeTermExit decodes an exit message.
func DecodeTermExit(msg []byte) (int32, error) {
	if err := expectLen(msg, KindTermExit, 4); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(msg[1:])), nil
}

// ---- file_transfer ----

// File operations (FileRequest.Op).
const (
	FileOpList      = "list"
	FileOpStat      = "stat"
	FileOpMkdir     = "mkdir"
	FileOpDelete    = "delete"
	FileOpRename    = "rename"
	FileOpDownload  = "download"
	FileOpUpload    = "upload"
	FileOpUploadEnd = "upload_end"
)

// FileRequest is one request of a file_transfer stream.
type FileRequest struct {
	ID        uint32 `json:"id"`
	Op        string `json:"op"`
	Path      string `json:"path"`
	To        string `json:"to,omitempty"`
	Offset    int64  `json:"offset,omitempty"`
	Size      int64  `json:"size,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	Recursive bool   `json:"recursive,omitempty"`
}

// FileInfo describes one file or directory.
type FileInfo struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	Mode  string `json:"mode"`  // as ls shows it, e.g. "-rw-r--r--" or "drwxr-xr-x"
	MTime int64  `json:"mtime"` // Unix seconds
	IsDir bool   `json:"is_dir"`
}

// FileResponse answers a FileRequest.
type FileResponse struct {
	ID      uint32     `json:"id"`
	OK      bool       `json:"ok"`
	Error   string     `json:"error,omitempty"`
	Code    string     `json:"code,omitempty"`
	Entries []FileInfo `json:"entries,omitempty"`
	Info    *FileInfo  `json:"info,omitempty"`
	Offset  int64      `json:"offset,omitempty"`
	Size    int64      `json:"size,omitempty"`
	SHA256  string     `json:"sha256,omitempty"`
	Done    bool       `json:"done,omitempty"`
	More    bool       `json:"more,omitempty"`
}

func checkPathText(what, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: %s is empty", ErrMalformed, what)
	case len(p) > MaxPathLen:
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrMalformed, what, MaxPathLen)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%w: %s contains a NUL byte", ErrMalformed, what)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrMalformed, what)
	}
	return nil
}

func checkSHA256(s string) error {
	if len(s) != 64 {
		return fmt.Errorf("%w: sha256 must be 64 hex digits", ErrMalformed)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return fmt.Errorf("%w: sha256 must be 64 hex digits", ErrMalformed)
	}
	return nil
}

// Validate checks the fields the operation needs. Whether a path is absolute and clean is checked by
// the agent, in its OS's syntax.
func (r FileRequest) Validate() error {
	if err := checkPathText("path", r.Path); err != nil {
		return err
	}
	if r.Offset < 0 || r.Size < 0 {
		return fmt.Errorf("%w: negative offset or size", ErrMalformed)
	}
	switch r.Op {
	case FileOpList, FileOpStat, FileOpMkdir, FileOpDelete, FileOpUploadEnd:
	case FileOpRename:
		return checkPathText("to", r.To)
	case FileOpDownload:
	case FileOpUpload:
		return checkSHA256(r.SHA256)
	default:
		return fmt.Errorf("%w: unknown file operation %q", ErrMalformed, r.Op)
	}
	return nil
}

// DecodeFileRequest decodes and validates a file request.
func DecodeFileRequest(msg []byte) (FileRequest, error) {
	var r FileRequest
	if err := DecodeJSON(msg, KindFileRequest, &r); err != nil {
		return r, err
	}
	return r, r.Validate()
}

// DecodeFileResponse decodes a file response.
func DecodeFileResponse(msg []byte) (FileResponse, error) {
	var r FileResponse
	if err := DecodeJSON(msg, KindFileResponse, &r); err != nil {
		return r, err
	}
	if !r.OK && r.Error == "" {
		return r, fmt.Errorf("%w: failed file response without an error", ErrMalformed)
	}
	return r, nil
}

// AppendFileChunk appends a chunk message to dst.
func AppendFileChunk(dst []byte, offset int64, data []byte) ([]byte, error) {
	if len(data) == 0 || len(data) > MaxFileChunk {
		return dst, fmt.Errorf("%w: chunk of %d bytes, must be 1…%d", ErrMalformed, len(data), MaxFileChunk)
	}
	dst, err := AppendFileChunkHeader(dst, offset)
	if err != nil {
		return dst, err
	}
	return append(dst, data...), nil
}

// FileChunkHeaderLen is the length of a file chunk's header, in front of its data.
const FileChunkHeaderLen = 9

// AppendFileChunkHeader appends a chunk's header for offset to dst: with the chunk's data already
// after it in dst's memory, the sender then has the whole chunk without copying the data.
func AppendFileChunkHeader(dst []byte, offset int64) ([]byte, error) {
	if offset < 0 {
		return dst, fmt.Errorf("%w: negative chunk offset", ErrMalformed)
	}
	return binary.BigEndian.AppendUint64(append(dst, KindFileChunk), uint64(offset)), nil
}

// DecodeFileChunk decodes a chunk; data aliases msg.
func DecodeFileChunk(msg []byte) (offset int64, data []byte, err error) {
	if err := expectKind(msg, KindFileChunk, FileChunkHeaderLen); err != nil {
		return 0, nil, err
	}
	o := binary.BigEndian.Uint64(msg[1:])
	if o > 1<<62 {
		return 0, nil, fmt.Errorf("%w: chunk offset %d out of range", ErrMalformed, o)
	}
	data = msg[FileChunkHeaderLen:]
	if len(data) > MaxFileChunk {
		return 0, nil, fmt.Errorf("%w: chunk of %d bytes, at most %d", ErrMalformed, len(data), MaxFileChunk)
	}
	return int64(o), data, nil
}

// ---- task_manager ----

// Task manager operations (TaskRequest.Op).
const (
	TaskOpProcesses = "processes"
	TaskOpKill      = "kill"
	TaskOpServices  = "services"
	TaskOpService   = "service"
)

// TaskRequest is one request of a task_manager stream.
type TaskRequest struct {
	ID   uint32 `json:"id"`
	Op   string `json:"op"`
	PID  int32  `json:"pid,omitempty"`
	Name string `json:"name,omitempty"` // service name
	Verb string `json:"verb,omitempty"` // start, stop, restart
}

// Process is one running process.
type Process struct {
	PID         int32   `json:"pid"`
	PPID        int32   `json:"ppid"`
	Name        string  `json:"name"`
	User        string  `json:"user,omitempty"`
	CPUPercent  float64 `json:"cpu_percent"`
	MemoryBytes uint64  `json:"memory_bytes"`
	CommandLine string  `json:"command_line,omitempty"`
}

// Service is one service of the OS's service manager.
type Service struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	State       string `json:"state"` // running, stopped, failed, starting, stopping…
}

// TaskResponse answers a TaskRequest.
type TaskResponse struct {
	ID        uint32    `json:"id"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
	Processes []Process `json:"processes,omitempty"`
	Services  []Service `json:"services,omitempty"`
	More      bool      `json:"more,omitempty"`
}

// DecodeTaskRequest decodes and validates a task manager request.
func DecodeTaskRequest(msg []byte) (TaskRequest, error) {
	var r TaskRequest
	if err := DecodeJSON(msg, KindTaskRequest, &r); err != nil {
		return r, err
	}
	switch r.Op {
	case TaskOpProcesses, TaskOpServices:
	case TaskOpKill:
		if r.PID <= 0 {
			return r, fmt.Errorf("%w: kill needs a positive pid", ErrMalformed)
		}
	case TaskOpService:
		if r.Name == "" || len(r.Name) > 256 || strings.ContainsAny(r.Name, "\x00\n\r") || strings.HasPrefix(r.Name, "-") {
			return r, fmt.Errorf("%w: service name %q is not valid", ErrMalformed, r.Name)
		}
		switch r.Verb {
		case "start", "stop", "restart":
		default:
			return r, fmt.Errorf("%w: service verb %q, want start, stop or restart", ErrMalformed, r.Verb)
		}
	default:
		return r, fmt.Errorf("%w: unknown task operation %q", ErrMalformed, r.Op)
	}
	return r, nil
}

// DecodeTaskResponse decodes a task manager response.
func DecodeTaskResponse(msg []byte) (TaskResponse, error) {
	var r TaskResponse
	err := DecodeJSON(msg, KindTaskResponse, &r)
	return r, err
}

// ---- registry ----

// Registry operations (RegistryRequest.Op).
const (
	RegistryOpKeys   = "keys"
	RegistryOpValues = "values"
	RegistryOpRead   = "read"
	RegistryOpSet    = "set"
)

// RegistryRequest is one request of a registry stream.
type RegistryRequest struct {
	ID     uint32   `json:"id"`
	Op     string   `json:"op"`
	Key    string   `json:"key"`
	Name   string   `json:"name,omitempty"`
	Type   string   `json:"type,omitempty"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// RegistryValue is one named value of a key.
type RegistryValue struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// RegistryResponse answers a RegistryRequest.
type RegistryResponse struct {
	ID     uint32          `json:"id"`
	OK     bool            `json:"ok"`
	Error  string          `json:"error,omitempty"`
	Keys   []string        `json:"keys,omitempty"`
	Values []RegistryValue `json:"values,omitempty"`
	More   bool            `json:"more,omitempty"`
}

// DecodeRegistryRequest decodes and validates a registry request.
func DecodeRegistryRequest(msg []byte) (RegistryRequest, error) {
	var r RegistryRequest
	if err := DecodeJSON(msg, KindRegistryRequest, &r); err != nil {
		return r, err
	}
	if err := checkPathText("key", r.Key); err != nil {
		return r, err
	}
	switch r.Op {
	case RegistryOpKeys, RegistryOpValues, RegistryOpRead:
	case RegistryOpSet:
		switch r.Type {
		case "string", "expand_string", "multi_string", "dword", "qword", "binary":
		default:
			return r, fmt.Errorf("%w: registry value type %q", ErrMalformed, r.Type)
		}
	default:
		return r, fmt.Errorf("%w: unknown registry operation %q", ErrMalformed, r.Op)
	}
	return r, nil
}

// DecodeRegistryResponse decodes a registry response.
func DecodeRegistryResponse(msg []byte) (RegistryResponse, error) {
	var r RegistryResponse
	err := DecodeJSON(msg, KindRegistryResponse, &r)
	return r, err
}

// ---- clipboard ----

// ClipboardRequest is one request of a clipboard stream: op "get" or "set".
type ClipboardRequest struct {
	ID   uint32 `json:"id"`
	Op   string `json:"op"`
	Text string `json:"text,omitempty"`
}

// ClipboardResponse answers a ClipboardRequest.
type ClipboardResponse struct {
	ID    uint32 `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Text  string `json:"text,omitempty"`
}

// DecodeClipboardRequest decodes and validates a clipboard request.
func DecodeClipboardRequest(msg []byte) (ClipboardRequest, error) {
	var r ClipboardRequest
	if err := DecodeJSON(msg, KindClipboardRequest, &r); err != nil {
		return r, err
	}
	switch r.Op {
	case "get":
	case "set":
		if len(r.Text) > MaxClipboardText || !utf8.ValidString(r.Text) {
			return r, fmt.Errorf("%w: clipboard text must be valid UTF-8 of at most %d bytes", ErrMalformed, MaxClipboardText)
		}
	default:
		return r, fmt.Errorf("%w: unknown clipboard operation %q", ErrMalformed, r.Op)
	}
	return r, nil
}

// DecodeClipboardResponse decodes a clipboard response.
func DecodeClipboardResponse(msg []byte) (ClipboardResponse, error) {
	var r ClipboardResponse
	err := DecodeJSON(msg, KindClipboardResponse, &r)
	return r, err
}

// ---- screenshot ----

// ScreenshotArgs are the open args of a screenshot stream.
type ScreenshotArgs struct {
	Display int `json:"display,omitempty"`
}

// DecodeScreenshotArgs decodes and checks screenshot open args.
func DecodeScreenshotArgs(raw json.RawMessage) (ScreenshotArgs, error) {
	var a ScreenshotArgs
	if err := decodeArgs(raw, "screenshot", &a); err != nil {
		return a, err
	}
	if a.Display < 0 || a.Display > 63 {
		return a, fmt.Errorf("%w: display %d", ErrMalformed, a.Display)
	}
	return a, nil
}

// ImageBegin starts a screenshot.
type ImageBegin struct {
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Size    int64  `json:"size"`
	Format  string `json:"format"`
	Display int    `json:"display"`
}

// ImageEnd ends a screenshot.
type ImageEnd struct {
	SHA256 string `json:"sha256"`
}

// DecodeImageBegin decodes and checks an image begin message.
func DecodeImageBegin(msg []byte) (ImageBegin, error) {
	var b ImageBegin
	if err := DecodeJSON(msg, KindImageBegin, &b); err != nil {
		return b, err
	}
	if b.Width <= 0 || b.Height <= 0 || b.Width > 1<<15 || b.Height > 1<<15 || b.Size <= 0 || b.Size > 1<<30 {
		return b, fmt.Errorf("%w: image of %d×%d pixels, %d bytes", ErrMalformed, b.Width, b.Height, b.Size)
	}
	if b.Format != "png" {
		return b, fmt.Errorf("%w: image format %q", ErrMalformed, b.Format)
	}
	return b, nil
}

// DecodeImageEnd decodes and checks an image end message.
func DecodeImageEnd(msg []byte) (ImageEnd, error) {
	var e ImageEnd
	if err := DecodeJSON(msg, KindImageEnd, &e); err != nil {
		return e, err
	}
	return e, checkSHA256(e.SHA256)
}

// ---- screen_view and remote_control ----

// ScreenArgs are the open args of screen_view and remote_control streams.
type ScreenArgs struct {
	FPS     int    `json:"fps,omitempty"`
	Display int    `json:"display,omitempty"`
	Format  string `json:"format,omitempty"`
	Quality int    `json:"quality,omitempty"`
}

// DecodeScreenArgs decodes and checks screen open args, filling in the defaults.
func DecodeScreenArgs(raw json.RawMessage) (ScreenArgs, error) {
	var a ScreenArgs
	if err := decodeArgs(raw, "screen", &a); err != nil {
		return a, err
	}
	if a.FPS == 0 {
		a.FPS = 10
	}
	if a.Format == "" {
		a.Format = "png"
	}
	if a.Quality == 0 {
		a.Quality = 75
	}
	switch {
	case a.FPS < 1 || a.FPS > MaxFPS:
		return a, fmt.Errorf("%w: fps %d, must be 1…%d", ErrMalformed, a.FPS, MaxFPS)
	case a.Display < 0 || a.Display > 63:
		return a, fmt.Errorf("%w: display %d", ErrMalformed, a.Display)
	case a.Format != "png" && a.Format != "jpeg":
		return a, fmt.Errorf("%w: frame format %q, want png or jpeg", ErrMalformed, a.Format)
	case a.Quality < 1 || a.Quality > 100:
		return a, fmt.Errorf("%w: quality %d, must be 1…100", ErrMalformed, a.Quality)
	}
	return a, nil
}

// FrameBegin starts a screen frame.
type FrameBegin struct {
	Seq           uint32
	Width, Height int
	Full          bool
}

// EncodeFrameBegin builds a frame begin message.
func EncodeFrameBegin(f FrameBegin) ([]byte, error) {
	if f.Width <= 0 || f.Height <= 0 || f.Width > 0xFFFF || f.Height > 0xFFFF {
		return nil, fmt.Errorf("%w: frame of %d×%d pixels", ErrMalformed, f.Width, f.Height)
	}
	b := make([]byte, 10)
	b[0] = KindFrameBegin
	binary.BigEndian.PutUint32(b[1:], f.Seq)
	binary.BigEndian.PutUint16(b[5:], uint16(f.Width))
	binary.BigEndian.PutUint16(b[7:], uint16(f.Height))
	if f.Full {
		b[9] = 1
	}
	return b, nil
}

// DecodeFrameBegin decodes a frame begin message.
func DecodeFrameBegin(msg []byte) (FrameBegin, error) {
	if err := expectLen(msg, KindFrameBegin, 9); err != nil {
		return FrameBegin{}, err
	}
	f := FrameBegin{
		Seq:    binary.BigEndian.Uint32(msg[1:]),
		Width:  int(binary.BigEndian.Uint16(msg[5:])),
		Height: int(binary.BigEndian.Uint16(msg[7:])),
		Full:   msg[9]&1 == 1,
	}
	if f.Width == 0 || f.Height == 0 || msg[9]&^1 != 0 {
		return FrameBegin{}, fmt.Errorf("%w: frame begin %d×%d flags %d", ErrMalformed, f.Width, f.Height, msg[9])
	}
	return f, nil
}

// Tile is one rectangle of a frame with its encoded image.
type Tile struct {
	X, Y, W, H int
	Format     byte
	Data       []byte
}

// AppendTile appends a tile message to dst.
func AppendTile(dst []byte, t Tile) ([]byte, error) {
	if t.X < 0 || t.Y < 0 || t.X > 0xFFFF || t.Y > 0xFFFF || t.W < 1 || t.H < 1 || t.W > TileSize || t.H > TileSize {
		return dst, fmt.Errorf("%w: tile %d,%d %d×%d", ErrMalformed, t.X, t.Y, t.W, t.H)
	}
	if t.Format != TilePNG && t.Format != TileJPEG {
		return dst, fmt.Errorf("%w: tile format %d", ErrMalformed, t.Format)
	}
	if len(t.Data) == 0 || 10+len(t.Data) > MaxPayload {
		return dst, fmt.Errorf("%w: tile image of %d bytes", ErrMalformed, len(t.Data))
	}
	dst = append(dst, KindFrameTile)
	dst = binary.BigEndian.AppendUint16(dst, uint16(t.X))
	dst = binary.BigEndian.AppendUint16(dst, uint16(t.Y))
	dst = binary.BigEndian.AppendUint16(dst, uint16(t.W))
	dst = binary.BigEndian.AppendUint16(dst, uint16(t.H))
	dst = append(dst, t.Format)
	return append(dst, t.Data...), nil
}

// DecodeTile decodes a tile message; Data aliases msg.
func DecodeTile(msg []byte) (Tile, error) {
	if err := expectKind(msg, KindFrameTile, 10); err != nil {
		return Tile{}, err
	}
	t := Tile{
		X:      int(binary.BigEndian.Uint16(msg[1:])),
		Y:      int(binary.BigEndian.Uint16(msg[3:])),
		W:      int(binary.BigEndian.Uint16(msg[5:])),
		H:      int(binary.BigEndian.Uint16(msg[7:])),
		Format: msg[9],
		Data:   msg[10:],
	}
	if t.W < 1 || t.H < 1 || t.W > TileSize || t.H > TileSize || (t.Format != TilePNG && t.Format != TileJPEG) || len(t.Data) == 0 {
		return Tile{}, fmt.Errorf("%w: tile %d,%d %d×%d format %d", ErrMalformed, t.X, t.Y, t.W, t.H, t.Format)
	}
	return t, nil
}

// EncodeFrameEnd builds a frame end message.
func EncodeFrameEnd(seq uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{KindFrameEnd}, seq)
}

// DecodeFrameEnd decodes a frame end message.
func DecodeFrameEnd(msg []byte) (uint32, error) {
	if err := expectLen(msg, KindFrameEnd, 4); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(msg[1:]), nil
}

// Input is one input event of a remote_control stream. Kind says which fields are set.
type Input struct {
	Kind   byte // KindPointerMove, KindPointerButton, KindWheel or KindKey
	X, Y   int  // pointer move
	Button int  // pointer button 1…7
	Down   bool // button, key
	DX, DY int  // wheel
	Keysym uint32
}

// EncodeInput builds an input message.
func EncodeInput(in Input) ([]byte, error) {
	switch in.Kind {
	case KindPointerMove:
		if in.X < 0 || in.Y < 0 || in.X > 0xFFFF || in.Y > 0xFFFF {
			return nil, fmt.Errorf("%w: pointer at %d,%d", ErrMalformed, in.X, in.Y)
		}
		b := []byte{KindPointerMove}
		b = binary.BigEndian.AppendUint16(b, uint16(in.X))
		return binary.BigEndian.AppendUint16(b, uint16(in.Y)), nil
	case KindPointerButton:
		if in.Button < 1 || in.Button > 7 {
			return nil, fmt.Errorf("%w: pointer button %d", ErrMalformed, in.Button)
		}
		return []byte{KindPointerButton, byte(in.Button), boolByte(in.Down)}, nil
	case KindWheel:
		if in.DX < -0x8000 || in.DX > 0x7FFF || in.DY < -0x8000 || in.DY > 0x7FFF {
			return nil, fmt.Errorf("%w: wheel %d,%d", ErrMalformed, in.DX, in.DY)
		}
		b := []byte{KindWheel}
		b = binary.BigEndian.AppendUint16(b, uint16(int16(in.DX)))
		return binary.BigEndian.AppendUint16(b, uint16(int16(in.DY))), nil
	case KindKey:
		if in.Keysym == 0 || in.Keysym > 0x1FFFFFFF {
			return nil, fmt.Errorf("%w: keysym 0x%x", ErrMalformed, in.Keysym)
		}
		b := binary.BigEndian.AppendUint32([]byte{KindKey}, in.Keysym)
		return append(b, boolByte(in.Down)), nil
	}
	return nil, fmt.Errorf("%w: input kind 0x%02x", ErrMalformed, in.Kind)
}

// DecodeInput decodes an input message of any of the input kinds.
func DecodeInput(msg []byte) (Input, error) {
	k, err := Kind(msg)
	if err != nil {
		return Input{}, err
	}
	in := Input{Kind: k}
	switch k {
	case KindPointerMove:
		if err := expectLen(msg, k, 4); err != nil {
			return Input{}, err
		}
		in.X, in.Y = int(binary.BigEndian.Uint16(msg[1:])), int(binary.BigEndian.Uint16(msg[3:]))
	case KindPointerButton:
		if err := expectLen(msg, k, 2); err != nil {
			return Input{}, err
		}
		in.Button = int(msg[1])
		if in.Button < 1 || in.Button > 7 || msg[2] > 1 {
			return Input{}, fmt.Errorf("%w: pointer button %d state %d", ErrMalformed, msg[1], msg[2])
		}
		in.Down = msg[2] == 1
	case KindWheel:
		if err := expectLen(msg, k, 4); err != nil {
			return Input{}, err
		}
		in.DX = int(int16(binary.BigEndian.Uint16(msg[1:])))
		in.DY = int(int16(binary.BigEndian.Uint16(msg[3:])))
	case KindKey:
		if err := expectLen(msg, k, 5); err != nil {
			return Input{}, err
		}
		in.Keysym = binary.BigEndian.Uint32(msg[1:])
		if in.Keysym == 0 || in.Keysym > 0x1FFFFFFF || msg[5] > 1 {
			return Input{}, fmt.Errorf("%w: keysym 0x%x state %d", ErrMalformed, in.Keysym, msg[5])
		}
		in.Down = msg[5] == 1
	default:
		return Input{}, fmt.Errorf("%w: message kind 0x%02x is not an input event", ErrMalformed, k)
	}
	return in, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// ---- command args ----

// WakeArgs are the args of the wake command: the MAC address of the machine to wake and, optionally,
// the broadcast address to send the magic packet to (default 255.255.255.255).
type WakeArgs struct {
	MAC       string `json:"mac"`
	Broadcast string `json:"broadcast,omitempty"`
}

// DecodeWakeArgs decodes and checks wake args.
func DecodeWakeArgs(raw json.RawMessage) (WakeArgs, net.HardwareAddr, error) {
	var a WakeArgs
	if err := decodeArgs(raw, "wake", &a); err != nil {
		return a, nil, err
	}
	mac, err := net.ParseMAC(a.MAC)
	if err != nil || len(mac) != 6 {
		return a, nil, fmt.Errorf("%w: wake needs a 6-byte MAC address, got %q", ErrMalformed, a.MAC)
	}
	if a.Broadcast != "" {
		if ip := net.ParseIP(a.Broadcast); ip == nil || ip.To4() == nil {
			return a, nil, fmt.Errorf("%w: broadcast address %q is not an IPv4 address", ErrMalformed, a.Broadcast)
		}
	}
	return a, mac, nil
}

// BlankScreenArgs are the args of the blank_screen command.
type BlankScreenArgs struct {
	On bool `json:"on"`
}

// DecodeBlankScreenArgs decodes blank_screen args.
func DecodeBlankScreenArgs(raw json.RawMessage) (BlankScreenArgs, error) {
	var a BlankScreenArgs
	err := decodeArgs(raw, "blank_screen", &a)
	return a, err
}
