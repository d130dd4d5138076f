package actions

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/portico-dev/portico/internal/protocol"
)

// discardStream accepts everything sent and has nothing to receive.
type discardStream struct{ sent int }

func (d *discardStream) Send(_ context.Context, msg []byte) error { d.sent += len(msg); return nil }
func (d *discardStream) SendInPlace(_ context.Context, buf []byte) error {
	d.sent += len(buf) - protocol.FrameHeadroom
	return nil
}
func (d *discardStream) Recv(ctx context.Context) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (d *discardStream) RecvFunc(ctx context.Context, _ func([]byte) error) error {
	<-ctx.Done()
	return ctx.Err()
}
func (d *discardStream) Close(string) error { return nil }

// BenchmarkUploadChunk measures the agent's handling of one upload chunk: decode, hash, write.
func BenchmarkUploadChunk(b *testing.B) {
	ctx := context.Background()
	ft := &fileTransfer{s: &discardStream{}}
	path := filepath.Join(b.TempDir(), "up.bin")
	data := make([]byte, protocol.MaxFileChunk)
	_, _ = rand.Read(data)
	size := int64(1 << 62)
	if err := ft.beginUpload(ctx, protocol.FileRequest{ID: 1, Op: protocol.FileOpUpload, Path: path, Size: size, SHA256: "00"}); err != nil {
		b.Fatal(err)
	}
	defer ft.abortUpload()
	var msg []byte
	b.SetBytes(int64(len(data)))
	off := int64(0)
	for b.Loop() {
		var err error
		msg, err = protocol.AppendFileChunk(msg[:0], off, data)
		if err != nil {
			b.Fatal(err)
		}
		if err := ft.handle(ctx, msg); err != nil || ft.up == nil {
			b.Fatalf("chunk refused: %v", err)
		}
		off += int64(len(data))
		if off >= 256<<20 {
			// Keep the file from growing without bound on long runs.
			b.StopTimer()
			_ = ft.up.f.Truncate(0)
			_, _ = ft.up.f.Seek(0, 0)
			ft.up.written, off = 0, 0
			b.StartTimer()
		}
	}
}

// BenchmarkDownload measures reading, hashing and framing a 64 MiB file into chunks.
func BenchmarkDownload(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "down.bin")
	data := make([]byte, 64<<20)
	_, _ = rand.Read(data)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	ds := &discardStream{}
	ft := &fileTransfer{s: ds}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := ft.download(ctx, protocol.FileRequest{ID: 1, Op: protocol.FileOpDownload, Path: path}); err != nil {
			b.Fatal(err)
		}
	}
	if ds.sent < len(data) {
		b.Fatalf("sent %d bytes", ds.sent)
	}
}
