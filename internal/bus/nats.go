package bus

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is the bus of a cluster: a connection to a NATS server (or cluster) that every node shares.
// While the server is unreachable, publishing fails and nothing is delivered; the client keeps
// reconnecting, and the nodes rely on the database meanwhile.
type NATS struct {
	nc  *nats.Conn
	log *slog.Logger
}

// ConnectNATS connects to the NATS server at url (nats://host:port, several separated by commas).
// It does not fail when the server is down: the connection is retried in the background.
func ConnectNATS(url, name string, log *slog.Logger) (*NATS, error) {
	if log == nil {
		log = slog.Default()
	}
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		// Notices are worth nothing late: do not queue them while disconnected.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("bus: disconnected from NATS; changes propagate through the database meanwhile", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("bus: connected to NATS", "url", c.ConnectedUrl()) }),
		nats.ConnectHandler(func(c *nats.Conn) { log.Info("bus: connected to NATS", "url", c.ConnectedUrl()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return &NATS{nc: nc, log: log}, nil
}

// Publish sends data on subject to every node.
func (n *NATS) Publish(subject string, data []byte) error {
	if err := n.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("publish on %s: %w", subject, err)
	}
	return nil
}

// Subscribe delivers the subject's notices to fn, one at a time.
func (n *NATS) Subscribe(subject string, fn func(data []byte)) (func(), error) {
	sub, err := n.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", subject, err)
	}
	// A slow subscriber drops notices rather than holding memory without bound.
	_ = sub.SetPendingLimits(65536, 64<<20)
	return func() { _ = sub.Unsubscribe() }, nil
}

// Connected reports whether the connection to NATS is up.
func (n *NATS) Connected() bool { return n.nc.IsConnected() }

// Close drains nothing: notices in flight are the database's to find.
func (n *NATS) Close() { n.nc.Close() }
