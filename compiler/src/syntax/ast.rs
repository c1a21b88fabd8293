//! The abstract syntax tree, allocated in a `bumpalo::Bump` arena.
//!
//! Every node is `Copy` and owns nothing that needs `Drop`: children are
//! `&'a` references and `&'a [T]` slices into the arena, names are interned
//! [`Symbol`]s. Dropping the arena frees a whole tree at once.
//!
//! Macro invocations and attribute arguments are kept as [`Delimited`] token
//! ranges (span and token count), never parsed inside.

use core::fmt;

use super::Symbol;
use super::token::LitKind;

/// A byte range in the source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    /// The smallest span covering both.
    #[inline]
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }
}

/// An identifier (keywords like `self` in paths included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub sym: Symbol,
    pub span: Span,
}

/// A lifetime such as `'a`; the symbol includes the `'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lifetime {
    pub sym: Symbol,
    pub span: Span,
}

/// A literal as written; `sym` is its whole text (suffix included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lit {
    pub kind: LitKind,
    pub sym: Symbol,
    pub span: Span,
}

/// Which bracket delimits a token tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delim {
    Paren,
    Bracket,
    Brace,
}

/// A delimited token tree kept unparsed (macro arguments, attribute
/// arguments): its span (delimiters included) and how many tokens are inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delimited {
    pub delim: Delim,
    pub span: Span,
    pub tokens: u32,
}

/// `path!(...)`, `path![...]` or `path! {...}`.
#[derive(Clone, Copy, Debug)]
pub struct MacCall<'a> {
    pub path: Path<'a>,
    pub args: Delimited,
}

// ---------------------------------------------------------------- attributes

/// `#[...]` (outer) or `#![...]` (inner).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrStyle {
    Outer,
    Inner,
}

/// An attribute: its path and its arguments, unparsed.
#[derive(Clone, Copy, Debug)]
pub struct Attribute<'a> {
    pub style: AttrStyle,
    /// `#[unsafe(no_mangle)]`
    pub unsafety: bool,
    pub path: Path<'a>,
    pub args: AttrArgs<'a>,
    pub span: Span,
}

/// What follows an attribute's path.
#[derive(Clone, Copy, Debug)]
pub enum AttrArgs<'a> {
    /// `#[test]`
    Empty,
    /// `#[derive(Debug)]`
    Delimited(Delimited),
    /// `#[path = "x.rs"]`, `#[doc = include_str!("..")]`
    Eq(&'a Expr<'a>),
}

// ---------------------------------------------------------------- paths

/// A path such as `::std::vec::Vec<T>` or `Fn(u8) -> u8`.
///
/// Most paths have one segment (`x`, `u8`, `Vec<T>`, `Some`): such a path keeps its segment
/// inline, where a one-element arena slice would cost 24 more bytes (about 40 MB of a 470 MB
/// AST for 112 MB of registry crates). The path is still 32 bytes: whether it starts with `::`
/// is kept in the inline segment's spare byte, or in which kind of slice it holds.
/// [`Path::segments`] gives the segments as a slice either way.
///
/// Paths of [`UseTree`] prefixes may have no segments (`use {a, b};`, `use ::*;`); every
/// other path has at least one.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    segments: Segments<'a>,
    pub span: Span,
}

/// A path's segments. 24 bytes: the slice variants fit in the bytes before
/// [`PathSegment::global`], whose spare values tell them apart from [`Segments::One`].
#[derive(Clone, Copy)]
enum Segments<'a> {
    /// Exactly one segment (with its own `global` flag).
    One(PathSegment<'a>),
    /// Zero or at least two segments, not global.
    Many(&'a [PathSegment<'a>]),
    /// Zero or at least two segments, after a leading `::`.
    GlobalMany(&'a [PathSegment<'a>]),
}

impl<'a> Path<'a> {
    /// A path of `segments` (copied when there are several: the slice is usually the parser's
    /// scratch stack), starting with `::` if `global`.
    pub fn new(
        global: bool,
        segments: &[PathSegment<'a>],
        span: Span,
        alloc: impl FnOnce(&[PathSegment<'a>]) -> &'a [PathSegment<'a>],
    ) -> Self {
        let segments = match *segments {
            [seg] => Segments::One(PathSegment { global, ..seg }),
            _ if global => Segments::GlobalMany(alloc(segments)),
            _ => Segments::Many(alloc(segments)),
        };
        Path { segments, span }
    }

    /// The one-segment path `ident`, spanning the identifier.
    pub fn ident(ident: Ident) -> Self {
        Path {
            segments: Segments::One(PathSegment::new(ident, None)),
            span: ident.span,
        }
    }

    /// Whether the path starts with `::`.
    pub fn is_global(&self) -> bool {
        match self.segments {
            Segments::One(seg) => seg.global,
            Segments::Many(_) => false,
            Segments::GlobalMany(_) => true,
        }
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[PathSegment<'a>] {
        match &self.segments {
            Segments::One(seg) => core::slice::from_ref(seg),
            Segments::Many(s) | Segments::GlobalMany(s) => s,
        }
    }
}

impl fmt::Debug for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Path")
            .field("global", &self.is_global())
            .field("segments", &self.segments())
            .field("span", &self.span)
            .finish()
    }
}

/// One segment with its generic arguments, if any.
///
/// `repr(C)` fixes the layout [`Path`] relies on: the `global` byte last, after 20 bytes of
/// which the first 16 can hold a slice.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct PathSegment<'a> {
    pub args: Option<&'a GenericArgs<'a>>,
    pub ident: Ident,
    /// Set only on the inline segment of a one-segment global path (see [`Path`]).
    global: bool,
}

impl<'a> PathSegment<'a> {
    /// The segment `ident` with generic arguments `args`.
    pub fn new(ident: Ident, args: Option<&'a GenericArgs<'a>>) -> Self {
        PathSegment {
            args,
            ident,
            global: false,
        }
    }
}

impl fmt::Debug for PathSegment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathSegment")
            .field("ident", &self.ident)
            .field("args", &self.args)
            .finish()
    }
}

/// `<T as Trait>` or `<T>` in front of a qualified path.
#[derive(Clone, Copy, Debug)]
pub struct QSelf<'a> {
    pub ty: &'a Ty<'a>,
    /// The `as Trait` part; the path after `>::` is in the accompanying
    /// [`Path`].
    pub as_trait: Option<Path<'a>>,
}

/// A qualified path: `<T as Trait>::rest`.
#[derive(Clone, Copy, Debug)]
pub struct QPath<'a> {
    pub qself: &'a QSelf<'a>,
    pub path: Path<'a>,
}

/// Generic arguments of a path segment.
#[derive(Clone, Copy, Debug)]
pub enum GenericArgs<'a> {
    /// `<'a, T, N, Item = U, Assoc: Bound>`
    Angle(&'a [GenericArg<'a>]),
    /// `Fn(A, B) -> C`
    Paren {
        inputs: &'a [Ty<'a>],
        output: Option<&'a Ty<'a>>,
    },
    /// `T::method(..)` in return-type notation.
    ParenDots,
}

/// One generic argument.
#[derive(Clone, Copy, Debug)]
pub enum GenericArg<'a> {
    Lifetime(Lifetime),
    Type(&'a Ty<'a>),
    Const(&'a Expr<'a>),
    /// `Item = T` (with `Item<'a> = T` for generic associated types).
    AssocType {
        ident: Ident,
        args: Option<&'a GenericArgs<'a>>,
        ty: &'a Ty<'a>,
    },
    /// `N = 3`
    AssocConst {
        ident: Ident,
        expr: &'a Expr<'a>,
    },
    /// `Item: Bound`
    Constraint {
        ident: Ident,
        args: Option<&'a GenericArgs<'a>>,
        bounds: &'a [GenericBound<'a>],
    },
}

// ---------------------------------------------------------------- generics

/// Generic parameters and the where clause.
///
/// Items hold them by reference: most items have none, and share [`Generics::NONE`] instead
/// of carrying 32 bytes of empty slices (a third of a `const` item).
#[derive(Clone, Copy, Debug, Default)]
pub struct Generics<'a> {
    pub params: &'a [GenericParam<'a>],
    pub where_clause: &'a [WherePredicate<'a>],
}

impl Generics<'_> {
    /// No parameters and no where clause.
    pub const NONE: &'static Generics<'static> = &Generics {
        params: &[],
        where_clause: &[],
    };

    /// Whether there are neither parameters nor a where clause.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.where_clause.is_empty()
    }
}

/// One generic parameter.
#[derive(Clone, Copy, Debug)]
pub struct GenericParam<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub kind: GenericParamKind<'a>,
    pub span: Span,
}

/// Lifetime, type or const parameter.
#[derive(Clone, Copy, Debug)]
pub enum GenericParamKind<'a> {
    Lifetime {
        lifetime: Lifetime,
        bounds: &'a [Lifetime],
    },
    Type {
        ident: Ident,
        bounds: &'a [GenericBound<'a>],
        default: Option<&'a Ty<'a>>,
    },
    Const {
        ident: Ident,
        ty: &'a Ty<'a>,
        default: Option<&'a Expr<'a>>,
    },
}

/// One predicate of a where clause.
#[derive(Clone, Copy, Debug)]
pub enum WherePredicate<'a> {
    /// `for<'a> T: Bound + 'b`
    Bound {
        for_lifetimes: &'a [GenericParam<'a>],
        ty: &'a Ty<'a>,
        bounds: &'a [GenericBound<'a>],
    },
    /// `'a: 'b + 'c`
    Lifetime {
        lifetime: Lifetime,
        bounds: &'a [Lifetime],
    },
}

/// `?`, `~const`, `const`, `async`, `!` in front of a trait bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent syntactic flags, as written"
)]
pub struct BoundModifiers {
    pub maybe: bool,
    pub maybe_const: bool,
    pub constness: bool,
    pub asyncness: bool,
    pub negative: bool,
}

/// A bound in `T: Bound`, `impl Bound`, `dyn Bound`.
#[derive(Clone, Copy, Debug)]
pub enum GenericBound<'a> {
    Trait {
        modifiers: BoundModifiers,
        for_lifetimes: &'a [GenericParam<'a>],
        path: Path<'a>,
        span: Span,
    },
    Lifetime(Lifetime),
    /// `use<'a, T>` precise capturing.
    Use(&'a [GenericArg<'a>]),
}

// ---------------------------------------------------------------- types

/// A type as written.
#[derive(Clone, Copy, Debug)]
pub struct Ty<'a> {
    pub kind: TyKind<'a>,
    pub span: Span,
}

/// The kinds of [`Ty`].
#[derive(Clone, Copy, Debug)]
pub enum TyKind<'a> {
    /// `a::B<C>` or `<T as Trait>::X`
    Path(Path<'a>),
    /// `<T as Trait>::X`, `<T>::X`
    QPath(&'a QPath<'a>),
    /// `&'a mut T`
    Ref {
        lifetime: Option<Lifetime>,
        mutbl: bool,
        ty: &'a Ty<'a>,
    },
    /// `*const T`, `*mut T`
    Ptr { mutbl: bool, ty: &'a Ty<'a> },
    /// `[T]`
    Slice(&'a Ty<'a>),
    /// `[T; N]`
    Array(&'a Ty<'a>, &'a Expr<'a>),
    /// `(A, B)`; `()` is the empty tuple.
    Tuple(&'a [Ty<'a>]),
    /// `(T)`
    Paren(&'a Ty<'a>),
    /// `for<'a> unsafe extern "C" fn(A) -> B`
    BareFn(&'a BareFnTy<'a>),
    /// `impl A + B`
    ImplTrait(&'a [GenericBound<'a>]),
    /// `dyn A + B`, or a bare trait object `A + B` (`dyn` false).
    TraitObject {
        dyn_: bool,
        bounds: &'a [GenericBound<'a>],
    },
    /// `!`
    Never,
    /// `_`
    Infer,
    /// `m!(...)`
    MacCall(&'a MacCall<'a>),
}

/// A function pointer type.
#[derive(Clone, Copy, Debug)]
pub struct BareFnTy<'a> {
    pub for_lifetimes: &'a [GenericParam<'a>],
    pub unsafety: bool,
    pub abi: Option<Abi>,
    pub params: &'a [BareFnParam<'a>],
    pub variadic: bool,
    pub output: Option<&'a Ty<'a>>,
}

/// A parameter of a function pointer type, optionally named.
#[derive(Clone, Copy, Debug)]
pub struct BareFnParam<'a> {
    pub name: Option<Ident>,
    pub ty: Ty<'a>,
}

/// `extern` or `extern "C"`.
#[derive(Clone, Copy, Debug)]
pub struct Abi {
    pub name: Option<Lit>,
}

// ---------------------------------------------------------------- patterns

/// A pattern.
#[derive(Clone, Copy, Debug)]
pub struct Pat<'a> {
    pub kind: PatKind<'a>,
    pub span: Span,
}

/// `..` or `..=` (also `...`) in a range pattern or expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeLimits {
    HalfOpen,
    Closed,
}

/// The kinds of [`Pat`].
#[derive(Clone, Copy, Debug)]
pub enum PatKind<'a> {
    /// `_`
    Wild,
    /// `ref mut x @ sub`
    Ident {
        by_ref: bool,
        mutbl: bool,
        ident: Ident,
        sub: Option<&'a Pat<'a>>,
    },
    /// A literal, possibly negated, or a const block.
    Lit(&'a Expr<'a>),
    /// `a..=b`, `a..`, `..=b`
    Range {
        lo: Option<&'a Expr<'a>>,
        hi: Option<&'a Expr<'a>>,
        limits: RangeLimits,
    },
    /// `(a, b)`
    Tuple(&'a [Pat<'a>]),
    /// `[a, b, ..]`
    Slice(&'a [Pat<'a>]),
    /// `S { a, b: p, .. }`
    Struct {
        qself: Option<&'a QSelf<'a>>,
        path: Path<'a>,
        fields: &'a [FieldPat<'a>],
        rest: bool,
    },
    /// `S(a, b)`
    TupleStruct {
        qself: Option<&'a QSelf<'a>>,
        path: Path<'a>,
        elems: &'a [Pat<'a>],
    },
    /// `a | b`
    Or(&'a [Pat<'a>]),
    /// `..`
    Rest,
    /// `&mut p`
    Ref { mutbl: bool, pat: &'a Pat<'a> },
    /// `a::B`, `<T>::C`
    Path(Option<&'a QSelf<'a>>, Path<'a>),
    /// `m!(...)`
    MacCall(&'a MacCall<'a>),
    /// `(p)`
    Paren(&'a Pat<'a>),
    /// `box p`
    Box(&'a Pat<'a>),
}

/// `name: pat` or the shorthand `ref mut name` in a struct pattern.
#[derive(Clone, Copy, Debug)]
pub struct FieldPat<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub ident: Ident,
    pub pat: Pat<'a>,
    pub shorthand: bool,
}

// ---------------------------------------------------------------- expressions

/// An expression. Outer attributes on expressions are parsed and dropped.
#[derive(Clone, Copy, Debug)]
pub struct Expr<'a> {
    pub kind: ExprKind<'a>,
    pub span: Span,
}

/// Binary operators, assignment operators reuse them ([`ExprKind::AssignOp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    BitXor,
    BitAnd,
    BitOr,
    Shl,
    Shr,
    Eq,
    Lt,
    Le,
    Ne,
    Ge,
    Gt,
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Deref,
    Not,
    Neg,
}

/// How a block is introduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    Plain,
    Unsafe,
    Async { by_move: bool },
    Const,
    Try,
}

/// `{ stmts }`
#[derive(Clone, Copy, Debug)]
pub struct Block<'a> {
    pub stmts: &'a [Stmt<'a>],
    pub span: Span,
}

/// `pat if guard => body`
#[derive(Clone, Copy, Debug)]
pub struct Arm<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub pat: Pat<'a>,
    pub guard: Option<&'a Expr<'a>>,
    /// `None` for a never-pattern arm without body.
    pub body: Option<&'a Expr<'a>>,
    pub span: Span,
}

/// `name: expr` or the shorthand `name` in a struct literal.
#[derive(Clone, Copy, Debug)]
pub struct ExprField<'a> {
    pub ident: Ident,
    pub expr: Expr<'a>,
    pub shorthand: bool,
}

/// What follows the fields of a struct literal.
#[derive(Clone, Copy, Debug)]
pub enum StructRest<'a> {
    None,
    /// `..base`
    Base(&'a Expr<'a>),
    /// `..` (default field values)
    Rest,
}

/// `path { fields, ..rest }`: a struct literal.
#[derive(Clone, Copy, Debug)]
pub struct StructExpr<'a> {
    pub qself: Option<&'a QSelf<'a>>,
    pub path: Path<'a>,
    pub fields: &'a [ExprField<'a>],
    pub rest: StructRest<'a>,
}

/// A closure's parameter.
#[derive(Clone, Copy, Debug)]
pub struct ClosureParam<'a> {
    pub pat: Pat<'a>,
    pub ty: Option<&'a Ty<'a>>,
}

/// `async move |a, b: T| -> R { body }`
#[derive(Clone, Copy, Debug)]
pub struct Closure<'a> {
    pub for_lifetimes: &'a [GenericParam<'a>],
    pub constness: bool,
    pub asyncness: bool,
    pub by_move: bool,
    pub params: &'a [ClosureParam<'a>],
    pub output: Option<&'a Ty<'a>>,
    pub body: &'a Expr<'a>,
}

/// The kinds of [`Expr`].
#[derive(Clone, Copy, Debug)]
pub enum ExprKind<'a> {
    Array(&'a [Expr<'a>]),
    /// `[e; n]`
    Repeat(&'a Expr<'a>, &'a Expr<'a>),
    Call(&'a Expr<'a>, &'a [Expr<'a>]),
    /// `receiver.method::<turbofish>(args)`
    MethodCall(&'a MethodCall<'a>),
    Tuple(&'a [Expr<'a>]),
    Binary(BinOp, &'a Expr<'a>, &'a Expr<'a>),
    Unary(UnOp, &'a Expr<'a>),
    Lit(Lit),
    Cast(&'a Expr<'a>, &'a Ty<'a>),
    /// `let pat = expr` inside `if` / `while` conditions.
    Let(&'a Pat<'a>, &'a Expr<'a>),
    If {
        cond: &'a Expr<'a>,
        then: &'a Block<'a>,
        els: Option<&'a Expr<'a>>,
    },
    While(&'a WhileLoop<'a>),
    ForLoop(&'a ForLoop<'a>),
    Loop {
        body: &'a Block<'a>,
        label: Option<Lifetime>,
    },
    Match(&'a Expr<'a>, &'a [Arm<'a>]),
    Closure(&'a Closure<'a>),
    Block {
        kind: BlockKind,
        block: &'a Block<'a>,
        label: Option<Lifetime>,
    },
    Await(&'a Expr<'a>),
    Assign(&'a Expr<'a>, &'a Expr<'a>),
    AssignOp(BinOp, &'a Expr<'a>, &'a Expr<'a>),
    /// `e.name`
    Field(&'a Expr<'a>, Ident),
    /// `e.0` (the symbol is the index's text)
    TupleField(&'a Expr<'a>, Ident),
    Index(&'a Expr<'a>, &'a Expr<'a>),
    Range {
        lo: Option<&'a Expr<'a>>,
        hi: Option<&'a Expr<'a>>,
        limits: RangeLimits,
    },
    /// `_` in destructuring assignments.
    Underscore,
    Path(Path<'a>),
    /// `<T as Trait>::f`, `<T>::C`
    QPath(&'a QPath<'a>),
    /// `&e`, `&mut e`, `&raw const e`
    AddrOf {
        raw: bool,
        mutbl: bool,
        expr: &'a Expr<'a>,
    },
    Break {
        label: Option<Lifetime>,
        expr: Option<&'a Expr<'a>>,
    },
    Continue(Option<Lifetime>),
    Return(Option<&'a Expr<'a>>),
    Yield(Option<&'a Expr<'a>>),
    Become(&'a Expr<'a>),
    MacCall(&'a MacCall<'a>),
    /// A struct literal; boxed in the arena because it is the largest
    /// variant and rare (inline, it would grow every [`Expr`] past the 40
    /// bytes asserted at the end of this file).
    Struct(&'a StructExpr<'a>),
    Paren(&'a Expr<'a>),
    /// `e?`
    Try(&'a Expr<'a>),
    /// `builtin # offset_of(..)` and other forms kept unparsed.
    Verbatim(Delimited),
    /// Placeholder left where an error was recovered from.
    Err,
}

// The variants below are out of line because they are the only ones wider than 24 bytes: with
// every other variant at most 24 bytes, `ExprKind` keeps its tag in the spare values of the
// byte `Path` leaves free, and an `Expr` is 40 bytes instead of 56 (asserted at the end of
// this file).

/// `receiver.method::<turbofish>(args)`.
#[derive(Clone, Copy, Debug)]
pub struct MethodCall<'a> {
    pub receiver: &'a Expr<'a>,
    pub method: Ident,
    pub turbofish: Option<&'a GenericArgs<'a>>,
    pub args: &'a [Expr<'a>],
}

/// `'label: while cond { body }`.
#[derive(Clone, Copy, Debug)]
pub struct WhileLoop<'a> {
    pub cond: &'a Expr<'a>,
    pub body: &'a Block<'a>,
    pub label: Option<Lifetime>,
}

/// `'label: for pat in iter { body }`.
#[derive(Clone, Copy, Debug)]
pub struct ForLoop<'a> {
    pub pat: &'a Pat<'a>,
    pub iter: &'a Expr<'a>,
    pub body: &'a Block<'a>,
    pub label: Option<Lifetime>,
}

// ---------------------------------------------------------------- statements

/// A statement in a block.
#[derive(Clone, Copy, Debug)]
pub enum Stmt<'a> {
    Let(&'a Local<'a>),
    Item(&'a Item<'a>),
    /// An expression without `;` (a block-like one, or the tail).
    Expr(&'a Expr<'a>),
    /// `expr;`
    Semi(&'a Expr<'a>),
    /// `m!(...);` or `m! {...}`
    MacCall {
        mac: &'a MacCall<'a>,
        semi: bool,
    },
    /// `;`
    Empty,
}

/// `let pat: ty = init else { .. };`
#[derive(Clone, Copy, Debug)]
pub struct Local<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub pat: Pat<'a>,
    pub ty: Option<&'a Ty<'a>>,
    pub init: Option<&'a Expr<'a>>,
    pub els: Option<&'a Block<'a>>,
    pub span: Span,
}

// ---------------------------------------------------------------- items

/// Visibility of an item or field.
#[derive(Clone, Copy, Debug)]
pub enum Visibility<'a> {
    /// No `pub`.
    Inherited,
    /// `pub`
    Public,
    /// `pub(crate)` (also the old `crate` visibility)
    Crate,
    /// `pub(self)`, `pub(super)`, `pub(in path)`
    Restricted(&'a Path<'a>),
}

/// An item, also used for associated items (in traits and impls) and
/// foreign items (in `extern` blocks).
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub vis: Visibility<'a>,
    pub kind: ItemKind<'a>,
    pub span: Span,
}

impl Item<'_> {
    /// The item's name, if it has one (`use`, `impl`, extern blocks and
    /// macro invocations have none; `const _` has none).
    pub fn name(&self) -> Option<Ident> {
        match self.kind {
            ItemKind::ExternCrate(&ExternCrate { name, rename }) => Some(rename.unwrap_or(name)),
            ItemKind::Static(s) => Some(s.ident),
            ItemKind::Const(c) => c.ident,
            ItemKind::Fn(f) => Some(f.ident),
            ItemKind::Mod(m) => Some(m.ident),
            ItemKind::TyAlias(t) => Some(t.ident),
            ItemKind::Enum(e) => Some(e.ident),
            ItemKind::Struct(s) | ItemKind::Union(s) => Some(s.ident),
            ItemKind::Trait(t) => Some(t.ident),
            ItemKind::TraitAlias(t) => Some(t.ident),
            ItemKind::MacroRules(m) | ItemKind::MacroDef(m) => Some(m.ident),
            ItemKind::Use(_)
            | ItemKind::ForeignMod(_)
            | ItemKind::Impl(_)
            | ItemKind::MacCall(_)
            | ItemKind::Err => None,
        }
    }

    /// A word naming the item's kind (`"fn"`, `"struct"`, ...).
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }
}

/// The kinds of [`Item`].
#[derive(Clone, Copy, Debug)]
pub enum ItemKind<'a> {
    /// `extern crate name as rename;`
    ExternCrate(&'a ExternCrate),
    /// `use tree;`
    Use(&'a UseTree<'a>),
    Static(&'a StaticItem<'a>),
    Const(&'a ConstItem<'a>),
    Fn(&'a FnItem<'a>),
    Mod(&'a ModItem<'a>),
    /// `extern "C" { ... }`
    ForeignMod(&'a ForeignMod<'a>),
    TyAlias(&'a TyAlias<'a>),
    Enum(&'a EnumItem<'a>),
    Struct(&'a StructItem<'a>),
    Union(&'a StructItem<'a>),
    Trait(&'a TraitItem<'a>),
    /// `trait A = B + C;`
    TraitAlias(&'a TraitAlias<'a>),
    Impl(&'a ImplItem<'a>),
    /// `macro_rules! name { ... }`
    MacroRules(&'a MacroItem),
    /// `macro name(..) { .. }` (declarative macros 2.0)
    MacroDef(&'a MacroItem),
    /// `m! { ... }` or `m!(...);` at item level
    MacCall(&'a MacCall<'a>),
    /// Placeholder for an item that failed to parse (never at top level:
    /// failed items are skipped).
    Err,
}

/// `extern crate name as rename;` (out of line: [`ItemKind`]'s variants are one pointer, so
/// that an [`Item`] is 56 bytes).
#[derive(Clone, Copy, Debug)]
pub struct ExternCrate {
    pub name: Ident,
    pub rename: Option<Ident>,
}

/// A macro definition: `macro_rules! name { ... }` or `macro name(..) { .. }`.
#[derive(Clone, Copy, Debug)]
pub struct MacroItem {
    pub ident: Ident,
    pub body: Delimited,
}

impl ItemKind<'_> {
    /// A word naming the kind.
    pub fn name(&self) -> &'static str {
        match self {
            ItemKind::ExternCrate(_) => "extern crate",
            ItemKind::Use(_) => "use",
            ItemKind::Static(_) => "static",
            ItemKind::Const(_) => "const",
            ItemKind::Fn(_) => "fn",
            ItemKind::Mod(_) => "mod",
            ItemKind::ForeignMod(_) => "extern block",
            ItemKind::TyAlias(_) => "type",
            ItemKind::Enum(_) => "enum",
            ItemKind::Struct(_) => "struct",
            ItemKind::Union(_) => "union",
            ItemKind::Trait(_) => "trait",
            ItemKind::TraitAlias(_) => "trait alias",
            ItemKind::Impl(_) => "impl",
            ItemKind::MacroRules(_) => "macro_rules",
            ItemKind::MacroDef(_) => "macro",
            ItemKind::MacCall(_) => "macro call",
            ItemKind::Err => "error",
        }
    }
}

/// A `use` tree: `prefix::{a, b as c, d::*}`.
#[derive(Clone, Copy, Debug)]
pub struct UseTree<'a> {
    /// The path before the tree's kind (may be empty, as in `use {a, b};`).
    pub prefix: Path<'a>,
    pub kind: UseTreeKind<'a>,
    pub span: Span,
}

/// The end of a [`UseTree`].
#[derive(Clone, Copy, Debug)]
pub enum UseTreeKind<'a> {
    /// `a::b` or `a::b as c` (`as _` gives an `_` ident)
    Simple(Option<Ident>),
    /// `a::*`
    Glob,
    /// `a::{...}`
    Nested(&'a [UseTree<'a>]),
}

/// `static mut NAME: Ty = expr;`
#[derive(Clone, Copy, Debug)]
pub struct StaticItem<'a> {
    pub mutbl: bool,
    /// `unsafe static` / `safe static` in extern blocks.
    pub safety: Safety,
    pub ident: Ident,
    pub ty: &'a Ty<'a>,
    pub expr: Option<&'a Expr<'a>>,
}

/// `const NAME<G>: Ty = expr;` (`const _` has no ident).
#[derive(Clone, Copy, Debug)]
pub struct ConstItem<'a> {
    pub ident: Option<Ident>,
    pub generics: &'a Generics<'a>,
    pub ty: &'a Ty<'a>,
    pub expr: Option<&'a Expr<'a>>,
}

/// `unsafe` / `safe` / nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Safety {
    #[default]
    Default,
    Unsafe,
    Safe,
}

/// A function's qualifiers and signature.
#[derive(Clone, Copy, Debug)]
pub struct FnSig<'a> {
    pub constness: bool,
    pub asyncness: bool,
    pub safety: Safety,
    pub abi: Option<Abi>,
    pub params: &'a [Param<'a>],
    /// `...` last in an extern function's parameters.
    pub variadic: bool,
    pub output: Option<&'a Ty<'a>>,
}

/// A function or method (body absent in traits and extern blocks).
#[derive(Clone, Copy, Debug)]
pub struct FnItem<'a> {
    /// `default fn` (specialization).
    pub defaultness: bool,
    pub ident: Ident,
    pub generics: &'a Generics<'a>,
    pub sig: FnSig<'a>,
    pub body: Option<&'a Block<'a>>,
}

/// One function parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub kind: ParamKind<'a>,
    pub span: Span,
}

/// The kinds of [`Param`].
#[derive(Clone, Copy, Debug)]
pub enum ParamKind<'a> {
    /// `self`, `mut self`
    SelfValue { mutbl: bool },
    /// `&'a mut self`
    SelfRef {
        lifetime: Option<Lifetime>,
        mutbl: bool,
    },
    /// `self: Box<Self>`
    SelfTyped { mutbl: bool, ty: &'a Ty<'a> },
    /// `pat: Ty`
    Normal { pat: &'a Pat<'a>, ty: &'a Ty<'a> },
    /// A type without a pattern (2015 trait methods, function pointers).
    Anonymous { ty: &'a Ty<'a> },
}

/// `mod name;` (`body` `None`) or `mod name { ... }`.
#[derive(Clone, Copy, Debug)]
pub struct ModItem<'a> {
    pub safety: Safety,
    pub ident: Ident,
    pub body: Option<ModBody<'a>>,
}

/// The contents of an inline module.
#[derive(Clone, Copy, Debug)]
pub struct ModBody<'a> {
    pub inner_attrs: &'a [Attribute<'a>],
    pub items: &'a [Item<'a>],
}

/// `unsafe extern "C" { items }`
#[derive(Clone, Copy, Debug)]
pub struct ForeignMod<'a> {
    pub safety: Safety,
    pub abi: Option<Lit>,
    pub inner_attrs: &'a [Attribute<'a>],
    pub items: &'a [Item<'a>],
}

/// `type Name<G>: Bounds = Ty where ..;`
#[derive(Clone, Copy, Debug)]
pub struct TyAlias<'a> {
    pub defaultness: bool,
    pub ident: Ident,
    pub generics: &'a Generics<'a>,
    pub bounds: &'a [GenericBound<'a>],
    pub ty: Option<&'a Ty<'a>>,
}

/// `enum Name<G> { variants }`
#[derive(Clone, Copy, Debug)]
pub struct EnumItem<'a> {
    pub ident: Ident,
    pub generics: &'a Generics<'a>,
    pub variants: &'a [Variant<'a>],
}

/// One enum variant.
#[derive(Clone, Copy, Debug)]
pub struct Variant<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub vis: Visibility<'a>,
    pub ident: Ident,
    pub data: VariantData<'a>,
    pub discriminant: Option<&'a Expr<'a>>,
    pub span: Span,
}

/// The fields of a struct, union or variant.
#[derive(Clone, Copy, Debug)]
pub enum VariantData<'a> {
    /// `{ a: A, b: B }`
    Struct(&'a [FieldDef<'a>]),
    /// `(A, B)`
    Tuple(&'a [FieldDef<'a>]),
    /// Nothing.
    Unit,
}

impl<'a> VariantData<'a> {
    /// The fields (empty for unit).
    pub fn fields(&self) -> &'a [FieldDef<'a>] {
        match *self {
            VariantData::Struct(f) | VariantData::Tuple(f) => f,
            VariantData::Unit => &[],
        }
    }
}

/// A field of a struct, union or variant.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef<'a> {
    pub attrs: &'a [Attribute<'a>],
    pub vis: Visibility<'a>,
    /// `None` for tuple fields.
    pub ident: Option<Ident>,
    pub ty: &'a Ty<'a>,
    /// `= expr` (default field values).
    pub default: Option<&'a Expr<'a>>,
    pub span: Span,
}

/// A struct or union.
#[derive(Clone, Copy, Debug)]
pub struct StructItem<'a> {
    pub ident: Ident,
    pub generics: &'a Generics<'a>,
    pub data: VariantData<'a>,
}

/// `unsafe auto trait Name<G>: Supers where .. { items }`
#[derive(Clone, Copy, Debug)]
pub struct TraitItem<'a> {
    pub safety: Safety,
    pub auto: bool,
    pub ident: Ident,
    pub generics: &'a Generics<'a>,
    pub supertraits: &'a [GenericBound<'a>],
    pub items: &'a [Item<'a>],
}

/// `trait Name<G> = Bounds;`
#[derive(Clone, Copy, Debug)]
pub struct TraitAlias<'a> {
    pub ident: Ident,
    pub generics: &'a Generics<'a>,
    pub bounds: &'a [GenericBound<'a>],
}

/// `unsafe impl<G> !Trait for Ty where .. { items }`
#[derive(Clone, Copy, Debug)]
pub struct ImplItem<'a> {
    pub defaultness: bool,
    pub safety: Safety,
    pub constness: bool,
    pub generics: &'a Generics<'a>,
    pub negative: bool,
    pub trait_: Option<Path<'a>>,
    pub self_ty: &'a Ty<'a>,
    pub items: &'a [Item<'a>],
}

/// A parsed file.
#[derive(Clone, Copy, Debug)]
pub struct SourceFile<'a> {
    /// `#![...]` at the top.
    pub inner_attrs: &'a [Attribute<'a>],
    /// Top-level items, in order (items that failed to parse are skipped).
    pub items: &'a [Item<'a>],
    /// Token counts.
    pub stats: super::LexStats,
}

// Every node is `Copy` and needs no `Drop`: freeing a tree is resetting its
// arena. Checked at compile time.
const _: () = {
    const fn copy_no_drop<T: Copy>() -> bool {
        !std::mem::needs_drop::<T>()
    }
    assert!(copy_no_drop::<Item<'static>>());
    assert!(copy_no_drop::<Expr<'static>>());
    assert!(copy_no_drop::<Ty<'static>>());
    assert!(copy_no_drop::<Pat<'static>>());
    assert!(copy_no_drop::<Stmt<'static>>());
    assert!(copy_no_drop::<SourceFile<'static>>());
};

// Node sizes on 64-bit targets, checked at compile time so that a field added
// to a hot node is a decision, not an accident: every `Vec`/slice of them and
// every arena page scales with these. Today's sizes: `Expr` and `Ty` 40 bytes
// (their kinds are 32: the tag lives in `Path`'s spare byte, so every variant
// other than `Path` must fit in the 24 bytes beside it, and the wider ones are
// out of line), `Pat` 72, `Item` 56 (`ItemKind` is one pointer), `Stmt` 16,
// `Path` 32.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<Path<'static>>() == 32);
    assert!(size_of::<PathSegment<'static>>() == 24);
    assert!(size_of::<Expr<'static>>() == 40);
    assert!(size_of::<Ty<'static>>() == 40);
    assert!(size_of::<Pat<'static>>() == 72);
    assert!(size_of::<Item<'static>>() == 56);
    assert!(size_of::<Stmt<'static>>() == 16);
};
