//! Sets of token kinds as one `u128` bit mask (rust-analyzer's `TokenSet`):
//! built in `const` context, tested with one AND.

use crate::syntax::token::TokenKind as T;

/// A set of [`TokenKind`](T)s.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct TokenSet(u128);

const _: () = assert!((T::KwWhile as u8) < 128, "TokenSet holds at most 128 kinds");

impl TokenSet {
    /// The set of `kinds`.
    pub(super) const fn new(kinds: &[T]) -> TokenSet {
        let mut bits = 0u128;
        let mut i = 0;
        while i < kinds.len() {
            bits |= bit(kinds[i]);
            i += 1;
        }
        TokenSet(bits)
    }

    /// Kinds in either set.
    pub(super) const fn union(self, other: TokenSet) -> TokenSet {
        TokenSet(self.0 | other.0)
    }

    /// Whether `kind` is in the set.
    #[inline]
    pub(super) const fn contains(self, kind: T) -> bool {
        self.0 & bit(kind) != 0
    }
}

const fn bit(kind: T) -> u128 {
    1u128 << (kind as u8)
}

/// `ident` and `r#ident`.
pub(super) const IDENT: TokenSet = TokenSet::new(&[T::Ident, T::RawIdent]);

/// A name or `_` (bare function parameters: `fn(_: u8)`).
pub(super) const IDENT_OR_UNDERSCORE: TokenSet = IDENT.union(TokenSet::new(&[T::Underscore]));

/// Tokens that name a path segment: identifiers and the path keywords.
pub(super) const PATH_SEGMENT: TokenSet = IDENT.union(TokenSet::new(&[
    T::KwSelfValue,
    T::KwSelfType,
    T::KwSuper,
    T::KwCrate,
]));

/// Segments of a macro invocation's path (`Self` cannot start one).
pub(super) const MACRO_PATH_SEGMENT: TokenSet =
    IDENT.union(TokenSet::new(&[T::KwSelfValue, T::KwSuper, T::KwCrate]));

/// Where item-level recovery stops once past the error: a keyword that
/// starts an item, or an attribute.
pub(super) const ITEM_RECOVERY: TokenSet = TokenSet::new(&[
    T::KwFn,
    T::KwStruct,
    T::KwEnum,
    T::KwImpl,
    T::KwTrait,
    T::KwMod,
    T::KwUse,
    T::KwPub,
    T::KwStatic,
    T::KwType,
    T::Pound,
]);

/// Tokens that end a `where` clause.
pub(super) const WHERE_CLAUSE_END: TokenSet = TokenSet::new(&[T::OpenBrace, T::Semi, T::Eq]);

/// Tokens that always start an expression. `{` (not under the no-struct
/// restriction), `..` and `::` also can, depending on what follows.
pub(super) const EXPR_FIRST: TokenSet = PATH_SEGMENT.union(TokenSet::new(&[
    T::Literal,
    T::Lifetime,
    T::OpenParen,
    T::OpenBracket,
    T::Bang,
    T::Minus,
    T::Star,
    T::And,
    T::Or,
    T::Lt,
    T::Pound,
    T::Underscore,
    T::KwTrue,
    T::KwFalse,
    T::KwIf,
    T::KwMatch,
    T::KwLoop,
    T::KwWhile,
    T::KwFor,
    T::KwUnsafe,
    T::KwMove,
    T::KwReturn,
    T::KwBreak,
    T::KwContinue,
    T::KwLet,
    T::KwAsync,
    T::KwConst,
    T::KwStatic,
]));

/// Tokens that start a pattern after `box`.
pub(super) const BOXED_PAT_FIRST: TokenSet = IDENT.union(TokenSet::new(&[
    T::OpenParen,
    T::OpenBracket,
    T::And,
    T::Underscore,
    T::KwRef,
    T::KwMut,
    T::Literal,
]));

/// Tokens that start a const generic argument: a literal, `-literal`, a
/// block, `true`/`false`.
pub(super) const CONST_ARG_FIRST: TokenSet =
    TokenSet::new(&[T::Literal, T::Minus, T::OpenBrace, T::KwTrue, T::KwFalse]);

/// Tokens that start a bound whatever follows (`use<..>` and paths aside).
pub(super) const BOUND_FIRST: TokenSet = TokenSet::new(&[
    T::Lifetime,
    T::Question,
    T::Tilde,
    T::OpenParen,
    T::KwFor,
    T::KwConst,
    T::KwAsync,
    T::Bang,
]);

/// Keywords that start a block-like expression, which ends a statement
/// without `;` (`unsafe`, `const`, `async`, labels and `try` only before a
/// block).
pub(super) const BLOCK_LIKE_FIRST: TokenSet = TokenSet::new(&[
    T::KwIf,
    T::KwMatch,
    T::KwLoop,
    T::KwWhile,
    T::KwFor,
    T::OpenBrace,
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_exactly_their_kinds() {
        assert!(ITEM_RECOVERY.contains(T::KwFn) && ITEM_RECOVERY.contains(T::Pound));
        assert!(!ITEM_RECOVERY.contains(T::KwLet) && !ITEM_RECOVERY.contains(T::Ident));
        assert!(EXPR_FIRST.contains(T::KwSelfType) && EXPR_FIRST.contains(T::KwStatic));
        assert!(!EXPR_FIRST.contains(T::OpenBrace) && !EXPR_FIRST.contains(T::Eof));
        // The highest kind has a bit of its own.
        let high = TokenSet::new(&[T::KwWhile]);
        assert!(high.contains(T::KwWhile) && !high.contains(T::KwWhere));
    }
}
