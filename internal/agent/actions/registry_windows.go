package actions

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/windows/registry"

	"github.com/portico-dev/portico/internal/protocol"
)

const registrySupported = true

// serveRegistry answers registry requests until the peer closes the stream.
func serveRegistry(ctx context.Context, s stream, _ json.RawMessage) error {
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			if peerClosed(err) {
				return nil
			}
			return err
		}
		req, err := protocol.DecodeRegistryRequest(msg)
		if err != nil {
			return err
		}
		resps, err := handleRegistry(req)
		if err != nil {
			resps = []protocol.RegistryResponse{{ID: req.ID, Error: err.Error()}}
		}
		for _, r := range resps {
			if err := sendJSON(ctx, s, protocol.KindRegistryResponse, r); err != nil {
				return err
			}
		}
	}
}

var registryRoots = map[string]registry.Key{
	"HKLM": registry.LOCAL_MACHINE, "HKEY_LOCAL_MACHINE": registry.LOCAL_MACHINE,
	"HKCU": registry.CURRENT_USER, "HKEY_CURRENT_USER": registry.CURRENT_USER,
	"HKCR": registry.CLASSES_ROOT, "HKEY_CLASSES_ROOT": registry.CLASSES_ROOT,
	"HKU": registry.USERS, "HKEY_USERS": registry.USERS,
	"HKCC": registry.CURRENT_CONFIG, "HKEY_CURRENT_CONFIG": registry.CURRENT_CONFIG,
}

// parseKey splits `HKLM\SOFTWARE\X` into its root and path.
func parseKey(path string) (registry.Key, string, error) {
	root, sub, _ := strings.Cut(path, `\`)
	k, ok := registryRoots[strings.ToUpper(root)]
	if !ok {
		return 0, "", fmt.Errorf("key %q does not start with a known root (HKLM, HKCU, HKCR, HKU, HKCC)", path)
	}
	return k, sub, nil
}

func handleRegistry(req protocol.RegistryRequest) ([]protocol.RegistryResponse, error) {
	root, sub, err := parseKey(req.Key)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case protocol.RegistryOpKeys:
		k, err := registry.OpenKey(root, sub, registry.ENUMERATE_SUB_KEYS)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", req.Key, err)
		}
		defer k.Close()
		names, err := k.ReadSubKeyNames(-1)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", req.Key, err)
		}
		sort.Strings(names)
		ps := pages(names)
		out := make([]protocol.RegistryResponse, len(ps))
		for i, p := range ps {
			out[i] = protocol.RegistryResponse{ID: req.ID, OK: true, Keys: p, More: i < len(ps)-1}
		}
		return out, nil
	case protocol.RegistryOpValues, protocol.RegistryOpRead:
		k, err := registry.OpenKey(root, sub, registry.QUERY_VALUE)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", req.Key, err)
		}
		defer k.Close()
		names := []string{req.Name}
		if req.Op == protocol.RegistryOpValues {
			if names, err = k.ReadValueNames(-1); err != nil {
				return nil, fmt.Errorf("list values of %s: %w", req.Key, err)
			}
			sort.Strings(names)
		}
		values := make([]protocol.RegistryValue, 0, len(names))
		for _, n := range names {
			v, err := readValue(k, n)
			if err != nil {
				return nil, fmt.Errorf("read %s\\%s: %w", req.Key, n, err)
			}
			values = append(values, v)
		}
		ps := pages(values)
		out := make([]protocol.RegistryResponse, len(ps))
		for i, p := range ps {
			out[i] = protocol.RegistryResponse{ID: req.ID, OK: true, Values: p, More: i < len(ps)-1}
		}
		return out, nil
	case protocol.RegistryOpSet:
		k, _, err := registry.CreateKey(root, sub, registry.SET_VALUE)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", req.Key, err)
		}
		defer k.Close()
		if err := writeValue(k, req); err != nil {
			return nil, fmt.Errorf("set %s\\%s: %w", req.Key, req.Name, err)
		}
		return []protocol.RegistryResponse{{ID: req.ID, OK: true}}, nil
	}
	return nil, fmt.Errorf("unknown operation %q", req.Op)
}

// maxRegistryText bounds one value's text so that a response fits a message.
const maxRegistryText = 16 << 10

func readValue(k registry.Key, name string) (protocol.RegistryValue, error) {
	v := protocol.RegistryValue{Name: name}
	_, typ, err := k.GetValue(name, nil)
	if err != nil && !errors.Is(err, registry.ErrShortBuffer) {
		return v, err
	}
	switch typ {
	case registry.SZ, registry.EXPAND_SZ:
		v.Type = "string"
		if typ == registry.EXPAND_SZ {
			v.Type = "expand_string"
		}
		s, _, err := k.GetStringValue(name)
		if err != nil {
			return v, err
		}
		v.Value = truncate(s, maxRegistryText)
	case registry.MULTI_SZ:
		v.Type = "multi_string"
		ss, _, err := k.GetStringsValue(name)
		if err != nil {
			return v, err
		}
		v.Values = ss
	case registry.DWORD, registry.QWORD:
		v.Type = "dword"
		if typ == registry.QWORD {
			v.Type = "qword"
		}
		n, _, err := k.GetIntegerValue(name)
		if err != nil {
			return v, err
		}
		v.Value = strconv.FormatUint(n, 10)
	default:
		v.Type = "binary"
		b, _, err := k.GetBinaryValue(name)
		if err != nil {
			// Other types (links, resource lists…) are shown as their raw bytes.
			buf := make([]byte, maxRegistryText/2)
			n, _, gerr := k.GetValue(name, buf)
			if gerr != nil && !errors.Is(gerr, registry.ErrShortBuffer) {
				return v, err
			}
			b = buf[:min(n, len(buf))]
		}
		v.Value = hex.EncodeToString(b[:min(len(b), maxRegistryText/2)])
	}
	return v, nil
}

func writeValue(k registry.Key, req protocol.RegistryRequest) error {
	switch req.Type {
	case "string":
		return k.SetStringValue(req.Name, req.Value)
	case "expand_string":
		return k.SetExpandStringValue(req.Name, req.Value)
	case "multi_string":
		return k.SetStringsValue(req.Name, req.Values)
	case "dword":
		n, err := strconv.ParseUint(req.Value, 10, 32)
		if err != nil {
			return fmt.Errorf("dword value %q is not a decimal number of 32 bits", req.Value)
		}
		return k.SetDWordValue(req.Name, uint32(n))
	case "qword":
		n, err := strconv.ParseUint(req.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("qword value %q is not a decimal number of 64 bits", req.Value)
		}
		return k.SetQWordValue(req.Name, n)
	case "binary":
		b, err := hex.DecodeString(req.Value)
		if err != nil {
			return fmt.Errorf("binary value is not hex: %w", err)
		}
		return k.SetBinaryValue(req.Name, b)
	}
	return fmt.Errorf("unknown value type %q", req.Type)
}
