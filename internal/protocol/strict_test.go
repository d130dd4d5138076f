package protocol

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// An agent's message is read one way only: a key given twice, a key in the wrong case, bytes that are
// not UTF-8 or a null where a value is needed are refused as malformed, naming the field.
func TestDecodeStrict(t *testing.T) {
	body := func(typ, b string) Message { return Message{Type: typ, Body: json.RawMessage(b)} }
	tests := []struct {
		name   string
		decode func() error
		field  string // in the error text
	}{
		{"envelope key twice", func() error { _, err := DecodeMessage([]byte(`{"type":"a","type":"b"}`)); return err }, "type appears twice"},
		{"envelope key twice inside the body", func() error {
			_, err := DecodeMessage([]byte(`{"type":"inventory","body":{"software":[{"name":"a","name":"b"}]}}`))
			return err
		}, "body.software[0].name appears twice"},
		{"envelope not UTF-8", func() error { _, err := DecodeMessage([]byte("{\"type\":\"chat\xff\"}")); return err }, "type is not valid UTF-8"},
		{"envelope in the wrong case", func() error { _, err := DecodeMessage([]byte(`{"Type":"hello"}`)); return err }, `did you mean "type"`},
		{"envelope with something after it", func() error { _, err := DecodeMessage([]byte(`{"type":"hello"} {}`)); return err }, "single JSON value"},
		{"body key twice", func() error { return DecodeBody(body(MsgHeartbeat, `{"seq":1,"seq":2}`), &Heartbeat{}) }, "seq appears twice"},
		{"body key twice nested", func() error {
			return DecodeBody(body(MsgInventory, `{"hostname":"pc","cpu":[{"model":"x","cores":2,"cores":64}]}`), &Inventory{})
		}, "cpu[0].cores appears twice"},
		{"body key twice in a map", func() error {
			return DecodeBody(body(MsgInventory, `{"hostname":"pc","extra":{"k":"a","k":"b"}}`), &Inventory{})
		}, "extra.k appears twice"},
		{"body not UTF-8", func() error {
			return DecodeBody(body(MsgInventory, "{\"hostname\":\"pc\",\"software\":[{\"name\":\"ok\"},{\"name\":\"\xfe\"}]}"), &Inventory{})
		}, "software[1].name is not valid UTF-8"},
		{"body with a lone surrogate", func() error {
			return DecodeBody(body(MsgChat, `{"session_id":"s","from":"end_user","text":"\ud83d"}`), &Chat{})
		}, `text holds \ud83d`},
		{"body in the wrong case", func() error { return DecodeBody(body(MsgHello, `{"Protocol_Version":1}`), &Hello{}) }, `did you mean "protocol_version"`},
		{"body null", func() error { return DecodeBody(body(MsgHello, `null`), &Hello{}) }, "object, not null"},
		{"body field null", func() error { return DecodeBody(body(MsgInventory, `{"hostname":null}`), &Inventory{}) }, "hostname must be a string, not null"},
		{"stream message key twice", func() error {
			_, err := DecodeFileRequest([]byte("\x20" + `{"id":1,"op":"list","path":"/","path":"/etc"}`))
			return err
		}, "path appears twice"},
		{"stream message not UTF-8", func() error {
			_, err := DecodeFileRequest([]byte("\x20{\"id\":1,\"op\":\"list\",\"path\":\"/\xff\"}"))
			return err
		}, "path is not valid UTF-8"},
		{"open args key twice", func() error { _, err := DecodeTerminalArgs(json.RawMessage(`{"cols":80,"cols":1}`)); return err }, "cols appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode()
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want a malformed message", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("%q does not say %q", err, tt.field)
			}
		})
	}
}

// Nulls that a peer's encoder writes for an empty list, or that mean "none", are still read.
func TestDecodeStrictNulls(t *testing.T) {
	m, err := DecodeMessage([]byte(`{"type":"session_update","body":{"session_id":"s","actions":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	var u SessionUpdate
	if err := DecodeBody(m, &u); err != nil || u.Actions != nil {
		t.Fatalf("%+v, %v", u, err)
	}
	if _, err := DecodeMessage([]byte(`{"type":"heartbeat_ack","body":null}`)); err != nil {
		t.Fatalf("null body: %v", err)
	}
	var c Command
	if err := DecodeBody(Message{Type: MsgCommand, Body: json.RawMessage(`{"id":"1","action":"lock","args":null}`)}, &c); err != nil {
		t.Fatalf("null args: %v", err)
	}
	if _, err := DecodeTerminalArgs(json.RawMessage(`null`)); err != nil {
		t.Fatalf("null terminal args: %v", err)
	}
}

// Whatever this side encodes, the other side reads: the zero value of every message type (whose
// empty lists encode as null) and a full one.
func TestEncodedMessagesDecodeStrictly(t *testing.T) {
	for _, v := range bodyTypes() {
		b, err := EncodeMessage("x", v)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeMessage(b)
		if err != nil {
			t.Fatalf("%T: %s: %v", v, b, err)
		}
		v2 := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := DecodeBody(m, v2); err != nil {
			t.Errorf("%T: %s: %v", v, m.Body, err)
		}
	}
	for _, v := range []any{
		SessionRequest{SessionID: "s", Technician: "T", Actions: []string{"chat"}},
		CommandResult{ID: "c", OK: true, Result: json.RawMessage(`null`)},
		Inventory{Hostname: "pc", CPU: []CPU{{Model: "m"}}, BIOS: &BIOS{Vendor: "v"}, Extra: map[string]string{"a": "b"}},
	} {
		b, err := EncodeMessage("x", v)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeMessage(b)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if err := DecodeBody(m, reflect.New(reflect.TypeOf(v)).Interface()); err != nil {
			t.Errorf("%T: %s: %v", v, m.Body, err)
		}
	}
}
