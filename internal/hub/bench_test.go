package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/coder/websocket"
)

// BenchmarkRelayRoundTrip measures a technician's message through the hub to an agent stream and back
// (the fake agent echoes), one at a time: the latency floor of a terminal keystroke.
func BenchmarkRelayRoundTrip(b *testing.B) {
	for _, size := range []int{64, 16 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			e := newEnv(b)
			id, cred := e.device()
			e.online(id, cred)
			tc, _, _ := e.openSession(e.signIn(e.acc.Owner.Email), id, "terminal")
			tc.expect("state", "active")
			tc.send(map[string]any{"type": "open", "channel": 1, "action": "terminal"})
			tc.expect("opened", "")
			msg := append([]byte{1}, bytes.Repeat([]byte{'x'}, size)...)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				if err := tc.c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := tc.c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
