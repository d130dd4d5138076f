package hub_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// relayPeerEnv carries the peer process's instructions (JSON) from BenchmarkRelayProcesses.
const relayPeerEnv = "PORTICO_RELAY_PEER"

// relayPeerConfig is what the peer process needs to reach the benchmark's server.
type relayPeerConfig struct {
	WSBase     string // ws://127.0.0.1:port
	TCPAddr    string // the baseline's listener
	Cookie     string // the technician's session cookie header
	UpDevice   string
	UpCred     string
	DownDevice string
	DownCred   string
	Rounds     int
}

// relayPeerRound is one round's timings, printed by the peer as a JSON line after "round ".
type relayPeerRound struct {
	TCP, Upload, Download time.Duration
}

// BenchmarkRelayProcesses is BenchmarkRelayVersusTCP with the technician and the agents in another
// process, as they are in use: this process holds only the server (hub and API) and the baseline's
// reading end. Each round the peer copies 60 MiB over one loopback TCP connection to this process,
// then uploads and downloads 60 MiB through the relay; b.N is the number of rounds.
func BenchmarkRelayProcesses(b *testing.B) {
	chunk := chunkMessage(b)
	roundBytes := int64(ratioRoundChunks) * int64(len(chunk))
	e := newEnv(b)
	upID, upCred := e.device()
	downID, downCred := e.device()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			// Each round's bytes are answered with one byte, so the peer times the whole copy.
			if n, err := io.CopyN(io.Discard, c, roundBytes); err != nil || n != roundBytes {
				return
			}
			if _, err := c.Write([]byte{1}); err != nil {
				return
			}
		}
	}()

	cfg := relayPeerConfig{WSBase: e.wsURL(""), TCPAddr: ln.Addr().String(),
		Cookie: e.signIn(e.acc.Owner.Email).Get("Cookie"), UpDevice: upID, UpCred: upCred,
		DownDevice: downID, DownCred: downCred, Rounds: b.N}
	raw, err := json.Marshal(cfg)
	must(b, err)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestRelayPeerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), relayPeerEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(b, err)
	b.ResetTimer()
	must(b, cmd.Start())
	var tcpRates, upRates, downRates, upRatios, downRatios []float64
	var log strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "round ")
		if !ok {
			log.WriteString(sc.Text() + "\n")
			continue
		}
		var r relayPeerRound
		must(b, json.Unmarshal([]byte(line), &r))
		mbps := func(d time.Duration) float64 { return float64(roundBytes) / d.Seconds() / 1e6 }
		tcp, up, down := mbps(r.TCP), mbps(r.Upload), mbps(r.Download)
		tcpRates, upRates, downRates = append(tcpRates, tcp), append(upRates, up), append(downRates, down)
		upRatios, downRatios = append(upRatios, 100*up/tcp), append(downRatios, 100*down/tcp)
	}
	if err := cmd.Wait(); err != nil || len(tcpRates) != b.N {
		b.Fatalf("peer process: %v, %d rounds of %d\n%s", err, len(tcpRates), b.N, log.String())
	}
	b.StopTimer()
	b.ReportMetric(median(tcpRates), "tcp-MB/s")
	b.ReportMetric(median(upRates), "upload-MB/s")
	b.ReportMetric(median(downRates), "download-MB/s")
	b.ReportMetric(median(upRatios), "upload-%")
	b.ReportMetric(median(downRatios), "download-%")
}

// TestRelayPeerProcess is the peer process of BenchmarkRelayProcesses; run on its own it skips.
func TestRelayPeerProcess(t *testing.T) {
	raw := os.Getenv(relayPeerEnv)
	if raw == "" {
		t.Skip("the peer process of BenchmarkRelayProcesses")
	}
	var cfg relayPeerConfig
	must(t, json.Unmarshal([]byte(raw), &cfg))
	chunk := chunkMessage(t)
	uploaded := make(chan struct{}, 1)
	peerAgent(t, cfg.WSBase, cfg.UpDevice, cfg.UpCred, uploadSink(uploaded))
	peerAgent(t, cfg.WSBase, cfg.DownDevice, cfg.DownCred, downloadSource(chunk))
	up := peerTechnician(t, cfg, cfg.UpDevice)
	down := peerTechnician(t, cfg, cfg.DownDevice)
	tcp, err := net.Dial("tcp", cfg.TCPAddr)
	must(t, err)
	defer tcp.Close()

	roundBytes := int64(ratioRoundChunks) * int64(len(chunk))
	upMsg := append([]byte{1}, chunk...)
	buf := make([]byte, 2*len(chunk))
	for range cfg.Rounds {
		var r relayPeerRound
		start := time.Now()
		if _, err := io.Copy(tcp, io.LimitReader(repeatReader(chunk), roundBytes)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(tcp, buf[:1]); err != nil {
			t.Fatal(err)
		}
		r.TCP = time.Since(start)
		r.Upload = uploadRound(t, func() error { return up.WriteMessage(websocket.BinaryMessage, upMsg) }, uploaded)
		r.Download = downloadRound(t, down, len(chunk), buf)
		line, err := json.Marshal(r)
		must(t, err)
		os.Stdout.Write(append(append([]byte("round "), line...), '\n'))
	}
}

// peerAgent connects as the device, accepts every session and serves its streams with onStream.
func peerAgent(t *testing.T, wsBase, id, cred string, onStream func(*protocol.Stream)) {
	hdr := http.Header{"Authorization": {"Bearer " + cred}, api.AgentDeviceHeader: {id}}
	c, _, err := protocol.Dialer(nil).Dial(wsBase+"/api/v1/agent/connect", hdr)
	must(t, err)
	runBenchAgent(t, c, onStream, 300*time.Millisecond) // the benchmark's server expects one a second
}

// peerTechnician opens a file_transfer session on the device and returns its WebSocket with channel
// 1 open. The device may not be registered yet when its agent has just been welcomed: a refusal is
// retried for a while.
func peerTechnician(t *testing.T, cfg relayPeerConfig, device string) *websocket.Conn {
	hdr := http.Header{"Cookie": {cfg.Cookie}}
	var c *websocket.Conn
	eventually.NoError(t, 5*time.Second, "a session on the device", func() error {
		var resp *http.Response
		var err error
		c, resp, err = techDialer.Dial(cfg.WSBase+"/api/v1/devices/"+device+"/session?actions=file_transfer", hdr)
		if err != nil && (resp == nil || resp.StatusCode != http.StatusConflict) {
			t.Fatalf("open a session: %v", err)
		}
		return err
	})
	c.SetReadLimit(1 << 20)
	tc := &technician{t: t, c: c}
	tc.expect("state", "active")
	tc.send(map[string]any{"type": "open", "channel": 1, "action": "file_transfer"})
	tc.expect("opened", "")
	must(t, c.SetReadDeadline(time.Time{}))
	t.Cleanup(func() { c.Close() })
	return c
}
