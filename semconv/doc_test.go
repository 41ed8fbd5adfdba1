package semconv

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const docPath = "../docs/semantic-conventions.md"

// docSection returns the lines of the section whose "## " heading is title.
func docSection(t *testing.T, title string) []string {
	t.Helper()
	f, err := os.Open(docPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.TrimPrefix(line, "## ") == title
			continue
		}
		if in {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s has no section %q", docPath, title)
	}
	return lines
}

// tableRows returns the cells of the first markdown table in lines, header
// and separator rows left out.
func tableRows(lines []string) [][]string {
	var rows [][]string
	started := false
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			if started {
				break
			}
			continue
		}
		started = true
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		return nil
	}
	return rows[2:]
}

var backticked = regexp.MustCompile("`([^`]+)`")

func codeSpans(s string) []string {
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestDocumentListsExactlyTheAttributeConstants(t *testing.T) {
	var documented []string
	for _, row := range tableRows(docSection(t, "Attributes")) {
		names := codeSpans(row[0])
		if len(names) != 1 {
			t.Fatalf("attribute table row without one `name` in its first column: %v", row)
		}
		documented = append(documented, names[0])
	}
	for _, name := range documented {
		if !slices.Contains(Attributes(), name) {
			t.Errorf("%s is documented but is not among the constants (Attributes)", name)
		}
	}
	for _, name := range Attributes() {
		if !slices.Contains(documented, name) {
			t.Errorf("%s is a constant but is not in the attribute table of %s", name, docPath)
		}
	}
	if len(documented) != len(Attributes()) {
		t.Errorf("the table has %d rows for %d attributes: a name is listed twice", len(documented), len(Attributes()))
	}
	if !slices.ContainsFunc(docSection(t, "The log record"), func(l string) bool { return strings.Contains(l, "`"+AttrServiceName+"`") }) {
		t.Errorf("the log record table does not document the resource attribute %s", AttrServiceName)
	}
}

// TestAttributesCoversEveryConstant keeps Attributes complete: every Attr*
// constant of the package (parsed from the source) is either in it or is the
// resource attribute service.name.
func TestAttributesCoversEveryConstant(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "semconv.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Attr") {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			v, _ := strconv.Unquote(lit.Value)
			consts = append(consts, v)
		}
		return true
	})
	if len(consts) != len(Attributes())+1 {
		t.Errorf("%d Attr constants, Attributes lists %d (plus service.name)", len(consts), len(Attributes()))
	}
	for _, c := range consts {
		if c != AttrServiceName && !slices.Contains(Attributes(), c) {
			t.Errorf("constant %q is missing from Attributes()", c)
		}
	}
}

func TestDocumentEnumerationsMatchTheConstants(t *testing.T) {
	want := map[string][]string{
		AttrActorType:      ActorTypes,
		AttrActionCategory: Categories,
		AttrActionOutcome:  Outcomes,
		AttrSeverity:       Severities,
	}
	lines := docSection(t, "Enumerations")
	seen := 0
	for _, row := range tableRows(lines) {
		attr := codeSpans(row[0])[0]
		values, ok := want[attr]
		if !ok {
			t.Errorf("enumeration of unknown attribute %s", attr)
			continue
		}
		seen++
		if got := codeSpans(row[1]); !slices.Equal(got, values) {
			t.Errorf("%s: document lists %v, constants %v", attr, got, values)
		}
	}
	if seen != len(want) {
		t.Errorf("document has %d of the %d enumerations", seen, len(want))
	}
	text := strings.Join(lines, " ")
	_, modules, ok := strings.Cut(text, "dashboards know")
	if !ok {
		t.Fatal("the module paragraph is gone")
	}
	modules, _, _ = strings.Cut(modules, ".")
	if got := codeSpans(modules); !slices.Equal(got, Modules) {
		t.Errorf("modules: document lists %v, constants %v", got, Modules)
	}
	mapping := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "### Category to ECS") })
	if mapping < 0 {
		t.Fatal("the category to ECS and OCSF table is gone")
	}
	var categories []string
	for _, row := range tableRows(lines[mapping:]) {
		categories = append(categories, codeSpans(row[0])[0])
	}
	if !slices.Equal(categories, Categories) {
		t.Errorf("ECS/OCSF mapping table covers %v, categories are %v", categories, Categories)
	}
}

func TestDocumentStatesTheLimits(t *testing.T) {
	text := strings.Join(docSection(t, "Attributes"), " ")
	for _, want := range []string{
		"`log.record.uid` at most " + strconv.Itoa(MaxEventIDLen) + " characters",
		"at most " + strconv.Itoa(MaxChangeValue>>10) + " KiB each",
		"`audit.comment` at most " + strconv.Itoa(MaxCommentLen>>10) + " KiB",
		"at most " + strconv.Itoa(MaxListItems) + " items",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the document does not say %q", want)
		}
	}
}

func TestSeverityRankOrdersSeverities(t *testing.T) {
	for i, s := range Severities {
		if SeverityRank(s) != i {
			t.Errorf("SeverityRank(%s) = %d, want %d", s, SeverityRank(s), i)
		}
	}
	if SeverityRank("urgent") != -1 || SeverityRank("") != -1 {
		t.Error("unknown severities must rank -1")
	}
	if SeverityRank(SeverityCritical) <= SeverityRank(SeverityHigh) {
		t.Error("critical must outrank high")
	}
}
