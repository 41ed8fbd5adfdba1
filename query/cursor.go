package query

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// EncodeCursor turns a hit's sort values into the opaque page cursor handed
// to clients. The values are passed back untouched as search_after.
func EncodeCursor(sortValues []any) string {
	if len(sortValues) == 0 {
		return ""
	}
	raw, err := json.Marshal(sortValues)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// DecodeCursor reads a cursor made by EncodeCursor; "" means the first page.
func DecodeCursor(cursor string) ([]any, error) {
	if cursor == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed cursor", ErrInvalidQuery)
	}
	var values []any
	dec := json.NewDecoder(bytesReader(raw))
	dec.UseNumber() // keep epoch values exact
	if err := dec.Decode(&values); err != nil || len(values) == 0 {
		return nil, fmt.Errorf("%w: malformed cursor", ErrInvalidQuery)
	}
	return values, nil
}
