package authz

// devicePageSize is how many device records one page of a deviceTable holds.
const devicePageSize = 512

type devicePage [devicePageSize]deviceRec

// deviceTable holds the device records by slot, in fixed-size pages. Snapshots share pages: a change
// copies the page it writes to and the short list of pages, not every record, so that adding or
// moving one device in an account of 100,000 copies a page (about 28 KiB) rather than the whole
// table (about 5.6 MB).
type deviceTable struct {
	pages []*devicePage
	n     int32
}

// len is the number of slots, live or not.
func (t *deviceTable) len() int32 { return t.n }

// at returns the record in slot for reading. A snapshot's pages may be shared with others: writes go
// through applier.device.
func (t *deviceTable) at(slot int32) *deviceRec {
	return &t.pages[slot/devicePageSize][slot%devicePageSize]
}

// device returns the record in slot for writing, copying its page (and the page list) first unless
// this batch already owns them.
func (a *applier) device(slot int32) *deviceRec {
	t := &a.s.devices
	ownSlice(&a.ownDevices, &t.pages)
	p := slot / devicePageSize
	if !a.ownDevicePages[p] {
		page := *t.pages[p]
		t.pages[p] = &page
		a.ownDevicePages[p] = true
	}
	return &t.pages[p][slot%devicePageSize]
}

// appendDevice adds rec in a new slot and returns the slot.
func (a *applier) appendDevice(rec deviceRec) int32 {
	t := &a.s.devices
	slot := t.n
	if slot%devicePageSize == 0 {
		ownSlice(&a.ownDevices, &t.pages)
		t.pages = append(t.pages, new(devicePage))
		a.ownDevicePages[slot/devicePageSize] = true
	}
	t.n++
	*a.device(slot) = rec
	return slot
}
