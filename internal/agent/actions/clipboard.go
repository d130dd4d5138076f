package actions

import (
	"context"
	"encoding/json"

	"github.com/portico-dev/portico/internal/protocol"
)

// clipboard reads and writes the device's clipboard text.
type clipboard interface {
	Get(ctx context.Context) (string, error)
	Set(ctx context.Context, text string) error
}

// serveClipboard answers clipboard requests until the peer closes the stream.
func serveClipboard(ctx context.Context, s stream, _ json.RawMessage) error {
	return clipboardWith(ctx, s, systemClipboard())
}

func clipboardWith(ctx context.Context, s stream, cb clipboard) error {
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			if peerClosed(err) {
				return nil
			}
			return err
		}
		req, err := protocol.DecodeClipboardRequest(msg)
		if err != nil {
			return err
		}
		resp := protocol.ClipboardResponse{ID: req.ID, OK: true}
		switch req.Op {
		case "get":
			text, err := cb.Get(ctx)
			if err != nil {
				resp = protocol.ClipboardResponse{ID: req.ID, Error: err.Error()}
			} else {
				resp.Text = truncate(text, protocol.MaxClipboardText)
			}
		case "set":
			if err := cb.Set(ctx, req.Text); err != nil {
				resp = protocol.ClipboardResponse{ID: req.ID, Error: err.Error()}
			}
		}
		if err := sendJSON(ctx, s, protocol.KindClipboardResponse, resp); err != nil {
			return err
		}
	}
}
