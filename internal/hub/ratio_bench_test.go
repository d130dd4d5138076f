package hub_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/protocol"
)

// ratioRoundChunks is how many file_transfer chunks one round moves each way (60 MiB).
const ratioRoundChunks = 1024

// BenchmarkRelayVersusTCP measures the relay against its baseline in alternation. Each round (one b.N
// iteration) copies ratioRoundChunks chunks over one loopback TCP connection as
// BenchmarkLoopbackTCPCopy does, then through a plain two-hop TCP forwarder as
// BenchmarkLoopbackTCPProxy does, then uploads the same number through the relay as
// BenchmarkRelayFileTransfer/upload does, then downloads them. All are percentages of the TCP copy. The machine's speed drifts from minute
// to minute by more than the relay differs from the baseline, so each ratio is taken between
// transfers made within a fraction of a second of each other, and the medians over the rounds are
// reported: run it with -benchtime 20x or more.
func BenchmarkRelayVersusTCP(b *testing.B) {
	chunk := chunkMessage(b)
	roundBytes := int64(ratioRoundChunks) * int64(len(chunk))

	// The baseline: one connection, read by io.Copy into io.Discard, written by io.Copy.
	tcpAddr, tcpDone := roundSink(b, roundBytes)
	tcp, err := net.Dial("tcp", tcpAddr)
	must(b, err)
	defer tcp.Close()

	// The second baseline: the same bytes through a plain forwarder (two connections joined by
	// io.Copy), the two hops any relay has, without WebSocket or framing.
	sinkAddr, proxyDone := roundSink(b, roundBytes)
	proxy, err := net.Dial("tcp", forwarder(b, sinkAddr))
	must(b, err)
	defer proxy.Close()

	// Upload: the agent consumes chunks with RecvFunc and says when a round's worth has come.
	uploaded := make(chan struct{}, 1)
	up := fileChannel(b, uploadSink(uploaded))
	upMsg := append([]byte{1}, chunk...)
	// The same message as one frame masked beforehand: the technician then only writes bytes made
	// beforehand, as the baseline's writer does, and what remains is the relay's work.
	upFrame := maskedFrame(upMsg)

	// Download: each message from the technician asks the agent for that many chunks.
	down := fileChannel(b, downloadSource(chunk))
	buf := make([]byte, 2*len(chunk))

	mbps := func(d time.Duration) float64 { return float64(roundBytes) / d.Seconds() / 1e6 }
	var tcpRates, proxyRates, upRates, preRates, downRates, proxyRatios, upRatios, preRatios, downRatios []float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := io.Copy(tcp, io.LimitReader(repeatReader(chunk), roundBytes)); err != nil {
			b.Fatal(err)
		}
		must(b, <-tcpDone)
		tcpRate := mbps(time.Since(start))

		start = time.Now()
		if _, err := io.Copy(proxy, io.LimitReader(repeatReader(chunk), roundBytes)); err != nil {
			b.Fatal(err)
		}
		must(b, <-proxyDone)
		proxyRate := mbps(time.Since(start))

		upRate := mbps(uploadRound(b, func() error { return up.c.WriteMessage(websocket.BinaryMessage, upMsg) }, uploaded))
		preRate := mbps(uploadRound(b, func() error { _, err := up.c.NetConn().Write(upFrame); return err }, uploaded))
		downRate := mbps(downloadRound(b, down.c, len(chunk), buf))

		tcpRates, proxyRates = append(tcpRates, tcpRate), append(proxyRates, proxyRate)
		upRates, preRates, downRates = append(upRates, upRate), append(preRates, preRate), append(downRates, downRate)
		preRatios = append(preRatios, 100*preRate/tcpRate)
		proxyRatios = append(proxyRatios, 100*proxyRate/tcpRate)
		upRatios, downRatios = append(upRatios, 100*upRate/tcpRate), append(downRatios, 100*downRate/tcpRate)
	}
	b.StopTimer()
	b.ReportMetric(median(tcpRates), "tcp-MB/s")
	b.ReportMetric(median(proxyRates), "proxy-MB/s")
	b.ReportMetric(median(proxyRatios), "proxy-%")
	b.ReportMetric(median(upRates), "upload-MB/s")
	b.ReportMetric(median(preRates), "upload-preencoded-MB/s")
	b.ReportMetric(median(preRatios), "upload-preencoded-%")
	b.ReportMetric(median(downRates), "download-MB/s")
	b.ReportMetric(median(upRatios), "upload-%")
	b.ReportMetric(median(downRatios), "download-%")
	b.ReportMetric(slices.Min(upRatios), "upload-min-%")
	b.ReportMetric(slices.Min(downRatios), "download-min-%")
}

// roundSink listens on loopback, reads the one connection it accepts into io.Discard and reports each
// roundBytes received (an error ends it). It returns its address.
func roundSink(tb testing.TB, roundBytes int64) (string, <-chan error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	tb.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		for {
			n, err := io.CopyN(io.Discard, c, roundBytes)
			if err != nil || n != roundBytes {
				done <- errors.Join(err, errors.New("short round"))
				return
			}
			done <- nil
		}
	}()
	return ln.Addr().String(), done
}

// uploadSink serves an upload's stream at the agent: it consumes chunks with RecvFunc, as the agent's
// file transfer does, checks each, and signals every ratioRoundChunks.
func uploadSink(rounds chan<- struct{}) func(*protocol.Stream) {
	return func(s *protocol.Stream) {
		got := 0
		check := func(msg []byte) error {
			if _, data, err := protocol.DecodeFileChunk(msg); err != nil || len(data) != protocol.MaxFileChunk {
				return errors.New("bad chunk")
			}
			if got++; got == ratioRoundChunks {
				got = 0
				rounds <- struct{}{}
			}
			return nil
		}
		for {
			if err := s.RecvFunc(context.Background(), check); err != nil {
				s.Close(err.Error())
				return
			}
		}
	}
}

// downloadSource serves a download's stream at the agent: each 8-byte message from the technician
// asks for that many chunks, sent as fast as the window allows from a buffer with room for the
// frame's header in front, as the agent's file transfer sends them.
func downloadSource(chunk []byte) func(*protocol.Stream) {
	return func(s *protocol.Stream) {
		buf := append(make([]byte, protocol.FrameHeadroom, protocol.FrameHeadroom+len(chunk)), chunk...)
		for {
			msg, err := s.Recv(context.Background())
			if err != nil || len(msg) != 8 {
				return
			}
			for range binary.BigEndian.Uint64(msg) {
				if err := s.SendInPlace(context.Background(), buf); err != nil {
					return
				}
			}
		}
	}
}

// uploadRound writes ratioRoundChunks messages with write and returns how long it took until the
// agent had them all.
func uploadRound(tb testing.TB, write func() error, rounds <-chan struct{}) time.Duration {
	start := time.Now()
	for range ratioRoundChunks {
		if err := write(); err != nil {
			tb.Fatal(err)
		}
	}
	select {
	case <-rounds:
	case <-time.After(time.Minute):
		tb.Fatal("the agent did not receive a round of chunks")
	}
	return time.Since(start)
}

// downloadRound asks channel 1's agent for ratioRoundChunks chunks and returns how long reading
// them took; buf is reused for every message.
func downloadRound(tb testing.TB, c *websocket.Conn, chunkLen int, buf []byte) time.Duration {
	start := time.Now()
	if err := c.WriteMessage(websocket.BinaryMessage, binary.BigEndian.AppendUint64([]byte{1}, ratioRoundChunks)); err != nil {
		tb.Fatal(err)
	}
	for range ratioRoundChunks {
		typ, r, err := c.NextReader()
		if err != nil {
			tb.Fatal(err)
		}
		n, err := io.ReadFull(r, buf[:1+chunkLen])
		if err != nil || typ != websocket.BinaryMessage || n != 1+chunkLen || buf[0] != 1 {
			tb.Fatalf("technician got a %v message: %d bytes, %v", typ, n, err)
		}
	}
	return time.Since(start)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
