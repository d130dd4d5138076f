// Package bus carries small notices between the nodes of a cluster — "account A is at revision R",
// "close your connection of device D" — over NATS, or within one process for a single node. Notices
// are a fast path only: every one of them is also found, a moment later, by reading the database, so
// a lost notice delays a change by at most a poll and never loses it.
package bus

import (
	"log/slog"
	"sync"
)

// Bus publishes notices to every node (this one included) and delivers those it receives to the
// subscribers of their subject. Delivery is asynchronous and best effort.
type Bus interface {
	Publish(subject string, data []byte) error
	// Subscribe calls fn with each notice published on subject, one at a time, until the returned
	// function is called.
	Subscribe(subject string, fn func(data []byte)) (unsubscribe func(), err error)
	Close()
}

// localQueue bounds the notices waiting for a slow subscriber of the local bus; beyond it they are
// dropped (the database poll finds what they said).
const localQueue = 4096

// Local is the bus of a single node: notices go from publisher to subscribers within the process.
type Local struct {
	mu   sync.Mutex
	subs map[string]map[*localSub]bool
	log  *slog.Logger
}

type localSub struct {
	ch   chan []byte
	done chan struct{}
}

// NewLocal returns an in-process bus.
func NewLocal(log *slog.Logger) *Local {
	if log == nil {
		log = slog.Default()
	}
	return &Local{subs: map[string]map[*localSub]bool{}, log: log}
}

// Publish hands data to every subscriber of subject.
func (l *Local) Publish(subject string, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs[subject] {
		select {
		case s.ch <- data:
		default:
			l.log.Warn("bus: a subscriber is behind; notice dropped", "subject", subject)
		}
	}
	return nil
}

// Subscribe delivers the subject's notices to fn on a goroutine of its own.
func (l *Local) Subscribe(subject string, fn func(data []byte)) (func(), error) {
	s := &localSub{ch: make(chan []byte, localQueue), done: make(chan struct{})}
	l.mu.Lock()
	if l.subs[subject] == nil {
		l.subs[subject] = map[*localSub]bool{}
	}
	l.subs[subject][s] = true
	l.mu.Unlock()
	go func() {
		for {
			select {
			case <-s.done:
				return
			case d := <-s.ch:
				fn(d)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs[subject], s)
			l.mu.Unlock()
			close(s.done)
		})
	}, nil
}

// Close drops every subscription.
func (l *Local) Close() {
	l.mu.Lock()
	subs := l.subs
	l.subs = map[string]map[*localSub]bool{}
	l.mu.Unlock()
	for _, set := range subs {
		for s := range set {
			close(s.done)
		}
	}
}
