package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// Page is one page of a list: {"items": […], "total": N, "limit": L, "offset": O}.
type Page[T any] struct {
	Items []T `json:"items"`
	// Total counts every item the filters match, beyond this page.
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// More reports whether items follow this page.
func (p *Page[T]) More() bool { return len(p.Items) > 0 && p.Offset+len(p.Items) < p.Total }

// ListOptions choose a page: Limit is 1 to 500 (0: the server's default, 50), Offset the items to
// skip. The All… iterators start at Offset and fetch pages of Limit (0: 500) until the end.
type ListOptions struct {
	Limit  int
	Offset int
}

// maxPage is the largest page the server answers.
const maxPage = 500

func (o ListOptions) values() url.Values {
	q := url.Values{}
	o.addTo(q)
	return q
}

func (o ListOptions) addTo(q url.Values) {
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
}

// all iterates over every item of a list from opts.Offset on, fetching one page at a time with
// fetch. It stops at the first error, which it yields with a zero item.
func all[T any](ctx context.Context, opts ListOptions, fetch func(context.Context, ListOptions) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if opts.Limit <= 0 || opts.Limit > maxPage {
			opts.Limit = maxPage
		}
		for {
			p, err := fetch(ctx, opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if !p.More() {
				return
			}
			opts.Offset += len(p.Items)
		}
	}
}

// Collect gathers what an iterator yields, stopping at its first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for it, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// setString sets a query parameter when v is not empty.
func setString(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}

// setBool sets a query parameter to true when v is.
func setBool(q url.Values, name string, v bool) {
	if v {
		q.Set(name, "true")
	}
}

// setTime sets a query parameter to an RFC 3339 time when t is not zero.
func setTime(q url.Values, name string, t time.Time) {
	if !t.IsZero() {
		q.Set(name, t.UTC().Format(time.RFC3339))
	}
}
