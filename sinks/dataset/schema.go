package dataset

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// ColType is the type of a dataset column.
type ColType int

// The column types.
const (
	// String is UTF-8 text (Go string).
	String ColType = iota + 1
	// Int64 is a signed 64-bit integer (Go int64, int or int32).
	Int64
	// Float64 is a double (Go float64 or float32).
	Float64
	// Bool is a boolean (Go bool).
	Bool
	// Timestamp is a UTC instant at millisecond precision (Go time.Time).
	Timestamp
)

var colTypeNames = map[ColType]string{String: "string", Int64: "int64", Float64: "float64", Bool: "bool", Timestamp: "timestamp"}

// String returns the type's name as used in configuration.
func (t ColType) String() string {
	if n, ok := colTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("ColType(%d)", int(t))
}

// ParseColType parses a type name: string, int64, float64, bool or timestamp.
func ParseColType(s string) (ColType, error) {
	for t, n := range colTypeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("dataset: unknown column type %q (want string, int64, float64, bool or timestamp)", s)
}

func (t ColType) arrow() arrow.DataType {
	switch t {
	case String:
		return arrow.BinaryTypes.String
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	}
	return nil
}

// Column is one user column of a dataset.
type Column struct {
	Name     string
	Type     ColType
	Nullable bool
}

// The fixed columns every row gets, after the user columns.
const (
	// ColSource is the input source (e.g. the Kafka topic).
	ColSource = "_source"
	// ColPartition is the input partition.
	ColPartition = "_partition"
	// ColOffset is the input offset of the row.
	ColOffset = "_offset"
	// ColRulesVersion is the version of the de-identification rules applied.
	ColRulesVersion = "_rules_version"
)

// Schema is the user columns of a dataset.
type Schema struct {
	Columns []Column
	// YearColumn, when set, names a non-nullable Timestamp column whose UTC year
	// chooses the year=YYYY directory of each row. When empty the processing
	// year (the writer clock at Append, UTC) is used instead.
	YearColumn string
}

// SchemaError says what is wrong with a Schema.
type SchemaError struct {
	Column string
	Reason string
}

// Error names the column and the problem.
func (e *SchemaError) Error() string {
	if e.Column == "" {
		return "dataset: schema: " + e.Reason
	}
	return fmt.Sprintf("dataset: schema: column %q: %s", e.Column, e.Reason)
}

func validName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks column names (letters, digits, _ . -; not starting with "_",
// which is reserved for fixed columns), types and the year column. It returns
// the index of the year column, or -1.
func (s Schema) Validate() (int, error) {
	if len(s.Columns) == 0 {
		return -1, &SchemaError{Reason: "no columns"}
	}
	seen := map[string]bool{}
	year := -1
	for i, c := range s.Columns {
		if !validName(c.Name, 128) {
			return -1, &SchemaError{Column: c.Name, Reason: "name must be 1-128 characters of [A-Za-z0-9_.-]"}
		}
		if c.Name[0] == '_' {
			return -1, &SchemaError{Column: c.Name, Reason: "names starting with _ are reserved for fixed columns"}
		}
		if seen[c.Name] {
			return -1, &SchemaError{Column: c.Name, Reason: "duplicate column"}
		}
		seen[c.Name] = true
		if c.Type.arrow() == nil {
			return -1, &SchemaError{Column: c.Name, Reason: "unknown type " + c.Type.String()}
		}
		if c.Name == s.YearColumn {
			if c.Type != Timestamp || c.Nullable {
				return -1, &SchemaError{Column: c.Name, Reason: "year column must be a non-nullable timestamp"}
			}
			year = i
		}
	}
	if s.YearColumn != "" && year < 0 {
		return -1, &SchemaError{Column: s.YearColumn, Reason: "year column is not in the schema"}
	}
	return year, nil
}

// ArrowSchema returns the Arrow schema of the files: user columns then the
// fixed columns _source (string), _partition (int32), _offset (int64) and
// _rules_version (string).
func (s Schema) ArrowSchema() *arrow.Schema {
	fields := make([]arrow.Field, 0, len(s.Columns)+4)
	for _, c := range s.Columns {
		fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type.arrow(), Nullable: c.Nullable})
	}
	fields = append(fields,
		arrow.Field{Name: ColSource, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: ColPartition, Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: ColOffset, Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: ColRulesVersion, Type: arrow.BinaryTypes.String},
	)
	return arrow.NewSchema(fields, nil)
}
