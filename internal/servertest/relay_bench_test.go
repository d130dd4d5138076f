package servertest

import (
	"encoding/json"
	"github.com/portico-dev/portico/internal/eventually"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/protocol"
)

// BenchmarkRelayAcrossNodes measures a file download from an agent connected to node B, by a
// technician connected to node B itself (same node) and by one connected to node A (the session runs
// on B and A relays it), in alternating rounds of relayBenchSize bytes. It reports each path's median
// throughput and the median of the per-round ratios cross/same. Both nodes, the agent, PostgreSQL and
// NATS share this machine's cores, so absolute figures are pessimistic.
//
//	go test -run '^$' -bench RelayAcrossNodes -benchtime 10x ./internal/servertest
func BenchmarkRelayAcrossNodes(b *testing.B) {
	const relayBenchSize = 256 << 20
	a, nb, acc, key := twoNodes(b)
	owner := NewClient(b, nb.URL(), key)
	var tok struct {
		Secret string `json:"secret"`
	}
	owner.Must(http.StatusCreated, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	ag := StartAgent(b, "bench-pc", tok.Secret, nb.URL())
	owner.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{ag.DeviceID},
		"group_id": acc.DefaultGroup.ID}, nil)
	eventually.True(b, 10*time.Second, "the agent on node B", func() bool { return nb.Hub().Online(ag.DeviceID) })
	eventually.True(b, 2*time.Second, "node A to know the device", func() bool {
		return owner.At(a.URL()).Do("GET", "/api/v1/devices/"+ag.DeviceID, nil).Status == http.StatusOK
	})
	path := filepath.Join(b.TempDir(), "payload.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	// A sparse file: the disk is not what is measured.
	if err := f.Truncate(relayBenchSize); err != nil {
		b.Fatal(err)
	}
	f.Close()

	download := func(base string) float64 {
		ws, _, err := owner.At(base).OpenSession(ag.DeviceID, "file_transfer")
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		ws.SetReadLimit(1 << 20)
		readJSON := func(want string) {
			for {
				typ, msg, err := ws.ReadMessage()
				if err != nil {
					b.Fatalf("waiting for %s: %v", want, err)
				}
				var m map[string]any
				if typ == websocket.TextMessage && json.Unmarshal(msg, &m) == nil &&
					(m["type"] == want || (m["type"] == "state" && m["state"] == want)) {
					return
				}
			}
		}
		readJSON("active")
		_ = ws.WriteJSON(map[string]any{"type": "open", "channel": 1, "action": "file_transfer"})
		readJSON("opened")
		req, _ := protocol.EncodeJSON(protocol.KindFileRequest, protocol.FileRequest{ID: 1, Op: protocol.FileOpDownload, Path: path})
		start := time.Now()
		if err := ws.WriteMessage(websocket.BinaryMessage, append([]byte{1}, req...)); err != nil {
			b.Fatal(err)
		}
		var got int64
		for {
			typ, msg, err := ws.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			if typ != websocket.BinaryMessage || len(msg) < 2 {
				continue
			}
			msg = msg[1:]
			if k, _ := protocol.Kind(msg); k == protocol.KindFileChunk {
				_, data, err := protocol.DecodeFileChunk(msg)
				if err != nil {
					b.Fatal(err)
				}
				got += int64(len(data))
				continue
			}
			if r, err := protocol.DecodeFileResponse(msg); err == nil && r.Done {
				break
			} else if err == nil && !r.OK {
				b.Fatalf("download refused: %+v", r)
			}
		}
		d := time.Since(start)
		if got != relayBenchSize {
			b.Fatalf("downloaded %d bytes, want %d", got, relayBenchSize)
		}
		_ = ws.WriteJSON(map[string]any{"type": "end"})
		return float64(got) / d.Seconds() / 1e6
	}
	var same, cross, ratio []float64
	b.ResetTimer()
	for range b.N {
		s := download(nb.URL())
		c := download(a.URL())
		same, cross, ratio = append(same, s), append(cross, c), append(ratio, c/s)
	}
	b.StopTimer()
	median := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	b.ReportMetric(median(same), "same-node-MB/s")
	b.ReportMetric(median(cross), "cross-node-MB/s")
	b.ReportMetric(median(ratio), "cross/same")
}
