package vtl

// The syntax tree. Nodes are rendered by a type switch in render.go; expressions are evaluated
// by a type switch in eval.go. Every variable is resolved at parse time to a slot index into
// the render's value array, so a reference costs no map lookup while rendering.

type pos struct{ line, col int }

type node any

// textNode is literal output.
type textNode struct {
	pos
	s string
}

// refNode prints a reference. src is its source text, printed for an escaped reference (\$a).
type refNode struct {
	ref     *refExpr
	escapes int // backslashes before the $
	src     string
}

type setNode struct {
	pos
	target *refExpr
	val    expr
	src    string
}

type ifBranch struct {
	pos
	cond expr // nil for #else
	body []node
	src  string
}

type ifNode struct{ branches []ifBranch }

type foreachNode struct {
	pos
	slot int
	iter expr
	body []node
	src  string
}

type breakNode struct{ pos }
type stopNode struct{ pos }

type defineNode struct {
	pos
	slot int
	body []node
	src  string
}

type macroDef struct {
	name   string
	params []int // slots
	body   []node
}

// macroCallNode calls m; a call to a macro the template never defines (m nil) prints its
// source text, literal (with the newline the call swallowed), as Velocity does.
type macroCallNode struct {
	pos
	name    string
	m       *macroDef
	args    []expr
	src     string
	literal string
}

// Expressions.
type expr any

type litExpr struct{ v any }

// strExpr is a double-quoted string with $ or # inside: a small template rendered to a string.
type strExpr struct{ parts []node }

type listExpr struct{ elems []expr }

type rangeExpr struct {
	pos
	from, to expr
}

type mapExpr struct{ keys, vals []expr }

const (
	opOr = iota + 1
	opAnd
	opEq
	opNe
	opLt
	opGt
	opLe
	opGe
	opAdd
	opSub
	opMul
	opDiv
	opMod
	opNot
	opNeg
)

type binExpr struct {
	pos
	op   int
	l, r expr
}

type unExpr struct {
	op int
	x  expr
}

const (
	accProp = iota
	accMethod
	accIndex
)

type accessor struct {
	pos
	kind int
	name string
	args []expr // method arguments, or the one index expression
}

// refExpr is $name followed by .prop, .method(args) and [index] accessors.
type refExpr struct {
	pos
	src   string // source text, which Velocity prints for a null operand of string +
	slot  int
	name  string
	quiet bool
	chain []accessor
}
