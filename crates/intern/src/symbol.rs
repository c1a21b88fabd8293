//! [`Symbol`], the pre-interned-symbol macro, and the crate's keyword and well-known tables.

use core::fmt;
use core::num::NonZeroU32;

/// An interned string's id: 4 bytes, `Copy`, compared and hashed as an integer.
///
/// The low 28 bits are the id: dense, starting at 1 (so `Option<Symbol>` is also 4 bytes), the
/// first ones being the pre-interned [`kw`](crate::kw) and [`sym`](crate::sym) constants,
/// equal in every [`Interner`](crate::Interner) built with them. The top 4 bits are the
/// interner's *epoch*: how many times it renumbered its symbols
/// ([`compact`](crate::Interner::compact), [`renumber`](crate::Interner::renumber)), modulo 16.
/// Pre-interned symbols are epoch 0 and valid forever; any other symbol is valid until the
/// next renumbering, after which the returned [`Remap`](crate::Remap) maps it to its new
/// symbol. In debug builds, resolving a symbol of an older epoch panics, naming the symbol and
/// the compaction it missed (up to 15 renumberings back; release builds do not check).
///
/// A `Symbol` is only meaningful for the interner that returned it; resolving it in another
/// interner (or a stale one in a release build) returns some other string or panics, it is
/// never undefined behaviour.
///
/// **Ordering.** `Symbol: Ord` compares the raw numbers, which follow the order in which
/// threads happened to intern: run-to-run and thread-count dependent. Sort by text, or call
/// [`Interner::renumber`](crate::Interner::renumber) first (ids then follow a
/// schedule-independent order), before sorting or exporting anything by symbol:
///
/// ```
/// use tern_intern::{Interner, Order};
/// let mut i = Interner::new();
/// let (z, a) = (i.intern("zeta"), i.intern("alpha")); // any schedule could give any ids
/// let map = i.renumber(Order::Lexicographic);
/// assert!(map.get(a).unwrap() < map.get(z).unwrap()); // now ids follow the text
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Symbol(NonZeroU32);

/// Bits of a symbol holding its id; the bits above hold its epoch.
pub(crate) const ID_BITS: u32 = 28;
/// The id bits.
pub(crate) const ID_MASK: u32 = (1 << ID_BITS) - 1;
/// Epochs wrap around after this many renumberings.
pub(crate) const EPOCHS: u32 = 1 << (u32::BITS - ID_BITS);

impl Symbol {
    /// The symbol as a `u32` (at least 1): its id, and its epoch in the top 4 bits.
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.0.get()
    }

    /// The id as an index starting at 0, handy for side tables: dense, below the interner's
    /// [`len`](crate::Interner::len) plus the ids lost races keep.
    #[inline]
    pub const fn index(self) -> usize {
        (self.0.get() & ID_MASK) as usize - 1
    }

    /// The interner epoch this symbol belongs to (0 before any renumbering, and for
    /// pre-interned symbols).
    #[inline]
    pub const fn epoch(self) -> u32 {
        self.0.get() >> ID_BITS
    }

    /// The id without the epoch (at least 1).
    #[inline]
    pub(crate) const fn id(self) -> u32 {
        self.0.get() & ID_MASK
    }

    /// The symbol with id `id` (at least 1, at most [`ID_MASK`]) in epoch `epoch`.
    #[inline]
    pub(crate) const fn with_epoch(id: u32, epoch: u32) -> Symbol {
        // Checked on the id bits alone: a non-zero epoch would otherwise hide an id of 0.
        assert!(id & ID_MASK != 0, "ids start at 1");
        Symbol(NonZeroU32::new((epoch % EPOCHS) << ID_BITS | (id & ID_MASK)).unwrap())
    }

    /// Rebuilds a symbol from [`Symbol::as_u32`]; `None` when the id bits (the low 28) are 0,
    /// which no symbol has.
    ///
    /// Any other value is memory-safe: resolving an id the interner never returned panics.
    ///
    /// ```
    /// use tern_intern::{Interner, Symbol};
    /// let i = Interner::new();
    /// let s = i.intern("x");
    /// assert_eq!(Symbol::from_u32(s.as_u32()), Some(s));
    /// assert_eq!(Symbol::from_u32(0), None);
    /// assert_eq!(Symbol::from_u32(1 << 28), None); // an epoch, no id
    /// ```
    #[inline]
    pub const fn from_u32(id: u32) -> Option<Symbol> {
        if id & ID_MASK == 0 {
            return None;
        }
        match NonZeroU32::new(id) {
            Some(n) => Some(Symbol(n)),
            None => None,
        }
    }

    /// Used by [`symbols!`](crate::symbols) to declare pre-interned constants.
    #[doc(hidden)]
    pub const fn __pre_interned(id: u32) -> Symbol {
        assert!(id & ID_MASK == id, "pre-interned ids must fit the id bits");
        match NonZeroU32::new(id) {
            Some(n) => Symbol(n),
            None => panic!("pre-interned ids start at 1"),
        }
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch() == 0 {
            write!(f, "Symbol({})", self.0)
        } else {
            write!(f, "Symbol({}@{})", self.id(), self.epoch())
        }
    }
}

/// Declares pre-interned symbols: `const` [`Symbol`]s with fixed ids `1..=N` and the table of
/// their strings in id order.
///
/// Each `mod` block becomes a module of constants; ids continue from one module to the next.
/// The `static` names the string table to hand to
/// [`InternerBuilder::preinterned`](crate::InternerBuilder::preinterned) (the crate's own
/// [`PREINTERNED`](crate::PREINTERNED) table, which [`Interner::new`](crate::Interner::new)
/// uses, is declared with this macro).
///
/// ```
/// tern_intern::symbols! {
///     pub static MY_TABLE;
///     pub mod my_kw { Let: "let", In: "in" }
///     pub mod my_sym { main: "main" }
/// }
///
/// fn main() {
///     let i = tern_intern::Interner::builder().preinterned(MY_TABLE).build();
///     assert_eq!(i.intern("in"), my_kw::In);
///     assert_eq!(i.intern("main"), my_sym::main);
///     assert_eq!(my_sym::main.as_u32(), 3);
///     assert_eq!(i.resolve(my_kw::Let), "let");
/// }
/// ```
///
/// Use it at module level: each module's first id is computed from its predecessor's
/// through `super::`.
#[macro_export]
macro_rules! symbols {
    (
        $(#[$tm:meta])* $tvis:vis static $table:ident;
        $( $(#[$mm:meta])* $mvis:vis mod $module:ident { $( $name:ident : $s:literal ),* $(,)? } )*
    ) => {
        $(#[$tm])*
        $tvis static $table: &[&str] = &[ $( $( $s, )* )* ];
        $crate::symbols!(@mods 0u32; $( $(#[$mm])* $mvis mod $module { $( $name : $s ),* } )*);
    };
    (@mods $off:expr; ) => {};
    (@mods $off:expr;
        $(#[$mm:meta])* $mvis:vis mod $module:ident { $( $name:ident : $s:literal ),* }
        $($rest:tt)*
    ) => {
        $(#[$mm])*
        #[allow(non_upper_case_globals)]
        $mvis mod $module {
            #[allow(non_camel_case_types, dead_code, clippy::upper_case_acronyms)]
            #[repr(u32)]
            enum __Index { $( $name, )* __End }
            $(
                #[doc = concat!("The pre-interned symbol `", $s, "`.")]
                pub const $name: $crate::Symbol =
                    $crate::Symbol::__pre_interned($off + __Index::$name as u32 + 1);
            )*
            #[doc(hidden)]
            pub const __END: u32 = $off + __Index::__End as u32;
        }
        $crate::symbols!(@mods super::$module::__END; $($rest)*);
    };
}

symbols! {
    /// The strings of [`kw`] and [`sym`] in id order: what [`Interner::new`](crate::Interner::new)
    /// pre-interns.
    pub static PREINTERNED;

    /// Rust's keywords (strict, reserved and weak), pre-interned with fixed ids.
    pub mod kw {
        Underscore: "_",
        As: "as",
        Break: "break",
        Const: "const",
        Continue: "continue",
        Crate: "crate",
        Else: "else",
        Enum: "enum",
        Extern: "extern",
        False: "false",
        Fn: "fn",
        For: "for",
        If: "if",
        Impl: "impl",
        In: "in",
        Let: "let",
        Loop: "loop",
        Match: "match",
        Mod: "mod",
        Move: "move",
        Mut: "mut",
        Pub: "pub",
        Ref: "ref",
        Return: "return",
        SelfLower: "self",
        SelfUpper: "Self",
        Static: "static",
        Struct: "struct",
        Super: "super",
        Trait: "trait",
        True: "true",
        Type: "type",
        Unsafe: "unsafe",
        Use: "use",
        Where: "where",
        While: "while",
        Async: "async",
        Await: "await",
        Dyn: "dyn",
        Abstract: "abstract",
        Become: "become",
        Box: "box",
        Do: "do",
        Final: "final",
        Gen: "gen",
        Macro: "macro",
        Override: "override",
        Priv: "priv",
        Try: "try",
        Typeof: "typeof",
        Unsized: "unsized",
        Virtual: "virtual",
        Yield: "yield",
        Auto: "auto",
        Default: "default",
        MacroRules: "macro_rules",
        Raw: "raw",
        Safe: "safe",
        Union: "union",
        Builtin: "builtin",
        StaticLifetime: "'static",
        UnderscoreLifetime: "'_",
    }

    /// Well-known non-keyword symbols, pre-interned with fixed ids after [`kw`].
    pub mod sym {
        std: "std",
        core: "core",
        alloc: "alloc",
        main: "main",
        Option: "Option",
        Some: "Some",
        None: "None",
        Result: "Result",
        Ok: "Ok",
        Err: "Err",
        String: "String",
        str: "str",
        Vec: "Vec",
        Box: "Box",
        Rc: "Rc",
        Arc: "Arc",
        Clone: "Clone",
        Copy: "Copy",
        Debug: "Debug",
        Default: "Default",
        Drop: "Drop",
        Eq: "Eq",
        PartialEq: "PartialEq",
        Ord: "Ord",
        PartialOrd: "PartialOrd",
        Hash: "Hash",
        Send: "Send",
        Sync: "Sync",
        Sized: "Sized",
        Iterator: "Iterator",
        IntoIterator: "IntoIterator",
        From: "From",
        Into: "Into",
        new: "new",
        derive: "derive",
        cfg: "cfg",
        test: "test",
        allow: "allow",
        bool: "bool",
        char: "char",
        u8: "u8",
        u16: "u16",
        u32: "u32",
        u64: "u64",
        u128: "u128",
        usize: "usize",
        i8: "i8",
        i16: "i16",
        i32: "i32",
        i64: "i64",
        i128: "i128",
        isize: "isize",
        f32: "f32",
        f64: "f64",
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_in_table_order() {
        assert_eq!(kw::Underscore.as_u32(), 1);
        assert_eq!(kw::As.as_u32(), 2);
        assert_eq!(sym::std.as_u32(), kw::__END + 1);
        assert_eq!(sym::__END as usize, PREINTERNED.len());
        assert_eq!(PREINTERNED[kw::Fn.index()], "fn");
        assert_eq!(PREINTERNED[sym::f64.index()], "f64");
        let mut seen = std::collections::HashSet::new();
        assert!(
            PREINTERNED.iter().all(|s| seen.insert(*s)),
            "duplicate pre-interned string"
        );
    }

    #[test]
    fn symbol_is_four_bytes_with_a_niche() {
        assert_eq!(size_of::<Symbol>(), 4);
        assert_eq!(size_of::<Option<Symbol>>(), 4);
        assert_eq!(Symbol::from_u32(0), None);
        assert_eq!(Symbol::from_u32(3).map(Symbol::as_u32), Some(3));
        assert_eq!(format!("{:?}", kw::As), "Symbol(2)");
    }
}
