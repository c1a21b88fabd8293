//! Parser unit tests: precedence, `>>` in generics, tuple indices, the
//! struct-literal restriction, recovery, and the item shapes the driver reads.

use tern_arena::Arenas;

use crate::syntax::ast::{
    BinOp, Expr, ExprKind, Item, ItemKind, MethodCall, PatKind, QPath, Stmt, TyKind, UnOp,
    UseTreeKind, Visibility,
};
use crate::syntax::{Diagnostic, FileId, LocalInterner, Symbol, parse_file};

struct Parsed<'a> {
    items: &'a [Item<'a>],
    diags: Vec<Diagnostic>,
    interner: LocalInterner,
}

fn parse<'a>(src: &str, arenas: &'a Arenas) -> Parsed<'a> {
    let interner = LocalInterner::default();
    let mut diags = Vec::new();
    let file = parse_file(src, FileId(7), arenas.local_arena(), &interner, &mut diags);
    Parsed {
        items: file.items,
        diags,
        interner,
    }
}

fn name(i: &LocalInterner, s: Symbol) -> String {
    i.resolve(s).unwrap_or_else(|| "?".into())
}

fn join_args(args: &[Expr<'_>], i: &LocalInterner) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for a in args {
        let _ = write!(out, " {}", show(a, i));
    }
    out
}

/// S-expression rendering of the expression forms the tests look at.
fn show(e: &Expr<'_>, i: &LocalInterner) -> String {
    let bin = |op: BinOp| match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::And => "&&",
        BinOp::Or => "||",
        BinOp::BitXor => "^",
        BinOp::BitAnd => "&",
        BinOp::BitOr => "|",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::Eq => "==",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Ne => "!=",
        BinOp::Ge => ">=",
        BinOp::Gt => ">",
    };
    match e.kind {
        ExprKind::Lit(l) => name(i, l.sym),
        ExprKind::Path(p) | ExprKind::QPath(&QPath { path: p, .. }) => p
            .segments()
            .iter()
            .map(|s| name(i, s.ident.sym))
            .collect::<Vec<_>>()
            .join("::"),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", bin(op), show(a, i), show(b, i)),
        ExprKind::AssignOp(op, a, b) => format!("({}= {} {})", bin(op), show(a, i), show(b, i)),
        ExprKind::Assign(a, b) => format!("(= {} {})", show(a, i), show(b, i)),
        ExprKind::Unary(op, a) => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "!",
                UnOp::Deref => "*",
            };
            format!("({o} {})", show(a, i))
        }
        ExprKind::AddrOf { mutbl, expr, .. } => {
            format!("(&{} {})", if mutbl { "mut" } else { "" }, show(expr, i))
        }
        ExprKind::Cast(a, _) => format!("(as {})", show(a, i)),
        ExprKind::Range { lo, hi, .. } => format!(
            "(.. {} {})",
            lo.map_or("_".into(), |e| show(e, i)),
            hi.map_or("_".into(), |e| show(e, i))
        ),
        ExprKind::Field(a, f) | ExprKind::TupleField(a, f) => {
            format!("(. {} {})", show(a, i), name(i, f.sym))
        }
        ExprKind::MethodCall(&MethodCall {
            receiver,
            method,
            turbofish,
            args,
        }) => format!(
            "(call {}.{}{}{})",
            show(receiver, i),
            name(i, method.sym),
            if turbofish.is_some() { "::<>" } else { "" },
            join_args(args, i)
        ),
        ExprKind::Call(f, args) => format!("(call {}{})", show(f, i), join_args(args, i)),
        ExprKind::Index(a, b) => format!("(idx {} {})", show(a, i), show(b, i)),
        ExprKind::Try(a) => format!("(? {})", show(a, i)),
        ExprKind::Await(a) => format!("(await {})", show(a, i)),
        ExprKind::Paren(a) => show(a, i),
        ExprKind::Closure(c) => format!("(closure {})", show(c.body, i)),
        ExprKind::Struct(s) => {
            format!("(struct {})", name(i, s.path.segments()[0].ident.sym))
        }
        ExprKind::If { .. } => "if".into(),
        ExprKind::Match(..) => "match".into(),
        ExprKind::Block { .. } => "block".into(),
        ExprKind::Return(e) => format!("(return {})", e.map_or("_".into(), |e| show(e, i))),
        ExprKind::Let(_, e) => format!("(let {})", show(e, i)),
        ExprKind::MacCall(_) => "mac".into(),
        _ => "other".into(),
    }
}

/// The statements of `fn f() { body }`.
fn body_stmts<'a>(p: &Parsed<'a>) -> &'a [Stmt<'a>] {
    let ItemKind::Fn(f) = p.items[0].kind else {
        panic!("not a fn")
    };
    f.body.expect("body").stmts
}

/// Parses `expr;` inside a function and renders it.
fn expr(src: &str) -> String {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(&format!("fn f() {{ {src}; }}"), &bump);
    assert!(p.diags.is_empty(), "{src}: {:?}", p.diags);
    match body_stmts(&p)[0] {
        Stmt::Semi(e) | Stmt::Expr(e) => show(e, &p.interner),
        other => panic!("{src}: not an expression statement: {other:?}"),
    }
}

#[test]
fn binary_precedence_and_associativity() {
    assert_eq!(expr("a + b * c"), "(+ a (* b c))");
    assert_eq!(expr("a * b + c"), "(+ (* a b) c)");
    assert_eq!(expr("a - b - c"), "(- (- a b) c)");
    assert_eq!(expr("a = b = c"), "(= a (= b c))");
    assert_eq!(expr("a += b * 2"), "(+= a (* b 2))");
    assert_eq!(expr("a || b && c"), "(|| a (&& b c))");
    assert_eq!(expr("a == b && c < d"), "(&& (== a b) (< c d))");
    assert_eq!(expr("a | b ^ c & d"), "(| a (^ b (& c d)))");
    assert_eq!(expr("a << 2 + 1"), "(<< a (+ 2 1))");
    assert_eq!(expr("x >>= 1"), "(>>= x 1)");
    assert_eq!(expr("a >> b > c"), "(> (>> a b) c)");
    assert_eq!(expr("a <= b"), "(<= a b)");
    assert_eq!(expr("a & &b"), "(& a (& b))");
    assert_eq!(expr("a && &b"), "(&& a (& b))");
}

#[test]
fn unary_cast_postfix_range() {
    assert_eq!(expr("-a.b()"), "(- (call a.b))");
    assert_eq!(expr("!x?"), "(! (? x))");
    assert_eq!(expr("-x as u8 + 1"), "(+ (as (- x)) 1)");
    assert_eq!(expr("*&mut x"), "(* (&mut x))");
    assert_eq!(expr("a..b + 1"), "(.. a (+ b 1))");
    assert_eq!(expr("..=n"), "(.. _ n)");
    assert_eq!(expr("x = 1.."), "(= x (.. 1 _))");
    assert_eq!(expr("a[i].f(1, 2)"), "(call (idx a i).f 1 2)");
    assert_eq!(expr("fut.await?"), "(? (await fut))");
    assert_eq!(expr("|x| x + 1"), "(closure (+ x 1))");
    assert_eq!(expr("move || a = b"), "(closure (= a b))");
}

#[test]
fn generics_close_with_split_shift() {
    assert_eq!(
        expr("iter.collect::<Vec<Vec<u8>>>()"),
        "(call iter.collect::<>)"
    );
    assert_eq!(expr("Vec::<Vec<u8>>::new()"), "(call Vec::new)");
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "type T = HashMap<u8, Vec<Box<dyn Fn(u8) -> u8 + Send>>>; \
         fn f(x: Vec<Vec<u8>>) -> Option<Box<Vec<u8>>> { x >> 2 }",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    assert_eq!(p.items.len(), 2);
}

#[test]
fn nested_tuple_index_is_split() {
    assert_eq!(expr("x.0.1"), "(. (. x 0) 1)");
    assert_eq!(expr("x.0.1.2"), "(. (. (. x 0) 1) 2)");
    assert_eq!(expr("t.0 .1"), "(. (. t 0) 1)");
    assert_eq!(expr("s.f.0"), "(. (. s f) 0)");
}

#[test]
fn struct_literal_restriction_in_conditions() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "fn f() { if x == S { a(); } match S { _ => {} } for a in v { } while x {} \
         let s = S { a: 1, b }; if (S { a }) == s {} }",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let stmts = body_stmts(&p);
    let Stmt::Expr(e) = stmts[0] else { panic!() };
    let ExprKind::If { cond, then, .. } = e.kind else {
        panic!()
    };
    assert_eq!(show(cond, &p.interner), "(== x S)");
    assert_eq!(then.stmts.len(), 1);
    let Stmt::Let(local) = stmts[4] else { panic!() };
    assert_eq!(show(local.init.unwrap(), &p.interner), "(struct S)");
}

#[test]
fn statement_expressions_end_at_blocks() {
    let bump = tern_arena::Arenas::for_any_thread();
    // `match {} - 1` is two statements; `match {}.f()` is one; a brace macro
    // followed by `.m()` is an expression.
    let p = parse(
        "fn f() { match x {} - 1; if a { b } else { c }.to_string(); m! { } .len() }",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let stmts = body_stmts(&p);
    assert_eq!(stmts.len(), 4, "{stmts:?}");
    assert!(matches!(stmts[0], Stmt::Expr(e) if matches!(e.kind, ExprKind::Match(..))));
    let Stmt::Semi(neg) = stmts[1] else { panic!() };
    assert_eq!(show(neg, &p.interner), "(- 1)");
    let Stmt::Semi(call) = stmts[2] else { panic!() };
    assert_eq!(show(call, &p.interner), "(call if.to_string)");
    let Stmt::Expr(tail) = stmts[3] else { panic!() };
    assert_eq!(show(tail, &p.interner), "(call mac.len)");
}

#[test]
fn let_chains_and_let_else() {
    assert_eq!(expr("if let Some(x) = a && b == c {}"), "if");
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "fn f() { let Some(x) = y else { return }; if let A | B = c && let D(e) = f {} }",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let stmts = body_stmts(&p);
    let Stmt::Let(l) = stmts[0] else { panic!() };
    assert!(l.els.is_some());
    let Stmt::Expr(e) = stmts[1] else { panic!() };
    let ExprKind::If { cond, .. } = e.kind else {
        panic!()
    };
    assert_eq!(show(cond, &p.interner), "(&& (let c) (let f))");
}

#[test]
fn patterns() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "fn f() { match v { 0..=9 | b'a'..=b'z' => {} -1 => {} [a, .., b] => {} \
         S { x, ref mut y, z: (1, _), .. } => {} T(a, b @ ..) => {} &mut [_, rest @ ..] => {} \
         x @ Some(_) if x.ok() => {} <A as B>::C => {} m!(z) => {} ..=5 => {} _ => {} } }",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let Stmt::Expr(e) = body_stmts(&p)[0] else {
        panic!()
    };
    let ExprKind::Match(_, arms) = e.kind else {
        panic!()
    };
    assert_eq!(arms.len(), 11);
    assert!(matches!(arms[0].pat.kind, PatKind::Or(alts) if alts.len() == 2));
    assert!(
        matches!(arms[3].pat.kind, PatKind::Struct { rest: true, fields, .. } if fields.len() == 3)
    );
    assert!(arms[6].guard.is_some());
}

#[test]
#[allow(
    clippy::many_single_char_names,
    reason = "short names for the items under test"
)]
fn items_signatures_and_visibility() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        r#"
        #![allow(dead_code)]
        //! docs are trivia
        /// documented
        #[derive(Debug)]
        pub(crate) struct S<'a, T: Clone + 'a = u8, const N: usize = 3> where T: Default { pub a: &'a [T; N], b: (u8,) }
        pub(in crate::x) enum E { A, B(u8, pub(crate) u16), C { d: i32 } = 4 }
        pub union U { a: u8 }
        pub(super) trait Tr<T>: Sized where Self: Clone { type A: Tr<u8> = (); const C: u8; fn m(&self, u8) -> Self::A; }
        unsafe impl<T: ?Sized> Send for S<'_, T> {}
        impl<T> !Sync for S<'static, T> {}
        impl<const N: usize> S<'_, u8, N> { pub const fn new(mut self: Box<Self>, (a, b): (u8, u8)) -> impl Iterator<Item = u8> + '_ { loop {} } }
        extern "C" { fn printf(fmt: *const u8, ...) -> i32; static X: u8; }
        extern crate alloc as std_alloc;
        use std::{collections::{HashMap as Map, hash_map::*}, io::{self, Write as _}};
        mod inner { fn g() {} }
        mod outer;
        type Alias<T> = <T as Iterator>::Item;
        static mut COUNT: usize = 0;
        const _: () = ();
        macro_rules! m { ($x:expr) => { $x }; }
        my_macro! named { tokens }
        m!(a b c);
        m! { anything }
        auto trait Au {}
        trait Al = Clone + Send;
        async unsafe fn af() {}
        fn hr<F>(f: F) where for<'b> F: Fn(&'b u8) -> &'b u8 {}
        fn fp(f: unsafe extern "C" fn(a: u8, ...) -> !) {}
        "#,
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let kinds: Vec<&str> = p.items.iter().map(Item::kind_name).collect();
    assert_eq!(
        kinds,
        [
            "struct",
            "enum",
            "union",
            "trait",
            "impl",
            "impl",
            "impl",
            "extern block",
            "extern crate",
            "use",
            "mod",
            "mod",
            "type",
            "static",
            "const",
            "macro_rules",
            "macro call",
            "macro call",
            "macro call",
            "trait",
            "trait alias",
            "fn",
            "fn",
            "fn"
        ]
    );
    assert!(matches!(p.items[0].vis, Visibility::Crate));
    assert!(matches!(p.items[1].vis, Visibility::Restricted(_)));
    assert!(matches!(p.items[2].vis, Visibility::Public));
    let ItemKind::Struct(s) = p.items[0].kind else {
        panic!()
    };
    assert_eq!(s.generics.params.len(), 3);
    assert_eq!(s.generics.where_clause.len(), 1);
    assert_eq!(s.data.fields().len(), 2);
    assert!(matches!(s.data.fields()[0].ty.kind, TyKind::Ref { .. }));
    let ItemKind::Trait(t) = p.items[3].kind else {
        panic!()
    };
    assert_eq!(t.items.len(), 3);
    let ItemKind::Impl(i) = p.items[5].kind else {
        panic!()
    };
    assert!(i.negative && i.trait_.is_some());
    let ItemKind::ForeignMod(fm) = p.items[7].kind else {
        panic!()
    };
    let ItemKind::Fn(printf) = fm.items[0].kind else {
        panic!()
    };
    assert!(printf.sig.variadic && printf.body.is_none());
    let ItemKind::Use(u) = p.items[9].kind else {
        panic!()
    };
    let UseTreeKind::Nested(trees) = u.kind else {
        panic!()
    };
    assert_eq!(trees.len(), 2);
    let ItemKind::Mod(inner) = p.items[10].kind else {
        panic!()
    };
    assert_eq!(inner.body.unwrap().items.len(), 1);
    let ItemKind::Mod(outer) = p.items[11].kind else {
        panic!()
    };
    assert!(outer.body.is_none());
    assert_eq!(name(&p.interner, p.items[11].name().unwrap().sym), "outer");
}

#[test]
fn raw_identifiers_are_interned_without_prefix() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse("fn r#match() {} fn r#fn() {}", &bump);
    assert!(p.diags.is_empty());
    assert_eq!(name(&p.interner, p.items[0].name().unwrap().sym), "match");
    assert_eq!(name(&p.interner, p.items[1].name().unwrap().sym), "fn");
}

#[test]
fn recovery_at_item_level() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "fn a() {}\nstruct B { x: }\nfn c() {}\n+ + +\nfn d( {}\nenum E { F }\n",
        &bump,
    );
    let names: Vec<String> = p
        .items
        .iter()
        .filter_map(Item::name)
        .map(|n| name(&p.interner, n.sym))
        .collect();
    assert_eq!(names, ["a", "c", "E"]);
    assert!(p.diags.len() >= 3, "{:?}", p.diags);
    assert_eq!((p.diags[0].line, p.diags[0].col), (2, 15));
    assert_eq!(p.diags[0].message, "expected type, found `}`");
    assert_eq!(p.diags[0].file, FileId(7));
}

#[test]
fn recovery_at_statement_level() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "fn f() { let x = ; g(); h(1 2); k() }\nfn after() {}",
        &bump,
    );
    assert_eq!(p.diags.len(), 2, "{:?}", p.diags);
    assert_eq!(p.items.len(), 2);
    // The good statements survive: `g();` and the tail `k()`.
    let stmts = body_stmts(&p);
    assert_eq!(stmts.len(), 2, "{stmts:?}");
}

#[test]
fn deep_nesting_reports_and_recovers() {
    let bump = tern_arena::Arenas::for_any_thread();
    let deep = format!(
        "fn f() {{ {}1{}; }}\nfn g() {{}}",
        "(".repeat(1000),
        ")".repeat(1000)
    );
    let p = parse(&deep, &bump);
    assert_eq!(p.diags.len(), 1, "{:?}", p.diags);
    assert_eq!(p.diags[0].message, "nesting too deep");
    assert_eq!(p.items.len(), 2);
    // Just under the limit parses cleanly.
    let ok = format!("fn f() {{ {}1{}; }}", "(".repeat(100), ")".repeat(100));
    let p = parse(&ok, &bump);
    assert!(p.diags.is_empty(), "{:?}", p.diags);
}

#[test]
fn signature_types_and_their_paths() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "impl<T> Tr for W<T> { fn m(&self, a: &[Vec<T>], b: impl Fn(u8) -> Option<T>) -> <T as It>::Item { loop {} } \
         type A = (u16, dyn Send); }\n\
         struct S { x: u32, y: fn(i8) -> i16 }",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let mut paths = Vec::new();
    for item in p.items {
        item.for_each_signature_type(|ty| {
            ty.for_each_path(|q, path| {
                let text: Vec<String> = path
                    .segments()
                    .iter()
                    .map(|s| name(&p.interner, s.ident.sym))
                    .collect();
                paths.push(format!(
                    "{}{}",
                    if q.is_some() { "<>::" } else { "" },
                    text.join("::")
                ));
            });
        });
    }
    assert_eq!(
        paths,
        [
            "W", "T", "Vec", "T", "Fn", "u8", "Option", "T", "<>::Item", "T", "It", "u16", "Send",
            "u32", "i8", "i16"
        ]
    );
}

/// Every item form parses the same at top level and as a statement: one
/// decision ([`Parser::item_start`]) serves both. `default extern "C" fn`,
/// `unsafe static` and `safe fn` used to be items only at top level.
#[test]
fn items_start_the_same_in_blocks_and_at_top_level() {
    let forms = [
        "default extern \"C\" fn g() {}",
        "default fn g() {}",
        "default unsafe impl X for Y {}",
        "default type T = u8;",
        "default const C: u8 = 1;",
        "unsafe static S: u8;",
        "safe static S: u8;",
        "safe fn f();",
        "union U { a: u8 }",
        "auto trait A {}",
        "unsafe auto trait A {}",
        "const unsafe impl X for Y {}",
        "const auto trait A {}",
        "macro_rules! m { () => {} }",
        "macro m() {}",
        "extern crate a;",
        "extern \"C\" fn f() {}",
        "unsafe extern \"C\" {}",
        "unsafe mod m {}",
        "async unsafe fn f() {}",
        "const _: () = ();",
        "static mut S: u8 = 0;",
    ];
    for form in forms {
        let bump = tern_arena::Arenas::for_any_thread();
        let top = parse(form, &bump);
        assert!(top.diags.is_empty(), "{form}: {:?}", top.diags);
        assert_eq!(top.items.len(), 1, "{form}");
        let src = format!("fn f() {{ {form} }}");
        let nested = parse(&src, &bump);
        assert!(nested.diags.is_empty(), "{src}: {:?}", nested.diags);
        let ItemKind::Fn(f) = nested.items[0].kind else {
            panic!("{src}: not a fn");
        };
        let stmts = f.body.expect("body").stmts;
        assert!(
            matches!(stmts, [Stmt::Item(item)] if item.kind_name() == top.items[0].kind_name()),
            "{src}: {stmts:?}"
        );
    }
}

/// The contextual keywords are identifiers everywhere else, and a raw
/// identifier is never one.
#[test]
fn contextual_keywords_are_identifiers_elsewhere() {
    let bump = tern_arena::Arenas::for_any_thread();
    let p = parse(
        "fn union() {} fn f(auto: u8, default: u8) { let safe = default; union(); \
         let raw = &raw; let r#union = r#auto; macro_rules(1); default::x(); }\n\
         struct r#union; trait r#default {}",
        &bump,
    );
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let kinds: Vec<&str> = p.items.iter().map(Item::kind_name).collect();
    assert_eq!(kinds, ["fn", "fn", "struct", "trait"]);
    let ItemKind::Fn(f) = p.items[1].kind else {
        panic!("not a fn")
    };
    assert!(
        f.body
            .expect("body")
            .stmts
            .iter()
            .all(|s| !matches!(s, Stmt::Item(_))),
        "no statement is an item"
    );
}
