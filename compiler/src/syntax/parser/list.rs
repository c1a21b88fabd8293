//! Comma-separated lists: the one loop behind every `a, b, c,` of the
//! grammar (fields, variants, parameters, arguments, generic lists, tuple and
//! slice forms, `where` clauses, closure parameters, use groups), after oxc's
//! `list.rs` and syn's `Punctuated::parse_terminated`.
//!
//! The loop stops at the list's end (a group's closer, or a token of a set),
//! after an element not followed by a comma, or after an element that says it
//! is the last one (`..base` in a struct literal); every iteration either
//! consumes the element's tokens or stops, and a failing element returns its
//! error to the caller's recovery point.

use super::token_set::TokenSet;
use super::{Closer, OnScratch, PResult, Parser, finish};
use crate::syntax::Intern;
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

/// Where a list ends.
#[derive(Clone, Copy, Debug)]
pub(super) enum ListEnd {
    /// At the closer of the group opened just before the list.
    Group(Option<Closer>),
    /// Before a token of the set (or at end of file): `>` of generic lists,
    /// `|` of closure parameters, what follows a `where` clause.
    Before(TokenSet),
}

/// What parsing one element produced.
#[derive(Debug)]
pub(super) enum Elem<E> {
    /// An element of the list.
    Push(E),
    /// Nothing to keep, and the list goes on (a C-variadic `...`).
    Skip,
    /// Nothing to keep, and the list ends here without a separator (`..` or
    /// `..base` last in a struct pattern or literal).
    Last,
}

/// A finished list.
#[derive(Debug)]
pub(super) struct List<'a, E> {
    /// The elements, in the arena.
    pub(super) items: &'a [E],
    /// Whether a comma followed the last element (`(a,)` is a tuple, `(a)`
    /// is not).
    pub(super) trailing: bool,
}

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    /// Whether the cursor is at `end`.
    #[inline]
    fn at_list_end(&self, end: ListEnd) -> bool {
        match end {
            ListEnd::Group(close) => self.at_close(close),
            ListEnd::Before(set) => self.at(T::Eof) || self.at_set(set),
        }
    }

    /// `elem, elem, ...` up to `end` (not consumed), each element pushed on
    /// its type's scratch stack, then copied into the arena.
    #[inline]
    pub(super) fn comma_list<E: OnScratch<'a>>(
        &mut self,
        end: ListEnd,
        elem: impl FnMut(&mut Self) -> PResult<Elem<E>>,
    ) -> PResult<List<'a, E>> {
        let start = E::stack(&mut self.sc).len();
        let trailing = self.comma_list_onto(end, elem)?;
        let items = finish(self.arena, E::stack(&mut self.sc), start);
        Ok(List { items, trailing })
    }

    /// [`Parser::comma_list`] leaving the elements on the stack (for a list
    /// whose first element was parsed before it: `[a; n]` or `[a, b]`).
    /// Returns whether a comma followed the last element.
    #[inline]
    pub(super) fn comma_list_onto<E: OnScratch<'a>>(
        &mut self,
        end: ListEnd,
        mut elem: impl FnMut(&mut Self) -> PResult<Elem<E>>,
    ) -> PResult<bool> {
        let mut trailing = false;
        while !self.at_list_end(end) {
            match elem(self)? {
                Elem::Push(x) => E::stack(&mut self.sc).push(x),
                Elem::Skip => {}
                Elem::Last => return Ok(false),
            }
            trailing = self.eat(T::Comma);
            if !trailing {
                break;
            }
        }
        Ok(trailing)
    }

    /// `( elem, ... )`: a parenthesized comma list, delimiters included.
    #[inline]
    pub(super) fn paren_list<E: OnScratch<'a>>(
        &mut self,
        elem: impl FnMut(&mut Self) -> PResult<Elem<E>>,
    ) -> PResult<List<'a, E>> {
        self.delimited_list(T::OpenParen, T::CloseParen, elem)
    }

    /// `{ elem, ... }`
    #[inline]
    pub(super) fn brace_list<E: OnScratch<'a>>(
        &mut self,
        elem: impl FnMut(&mut Self) -> PResult<Elem<E>>,
    ) -> PResult<List<'a, E>> {
        self.delimited_list(T::OpenBrace, T::CloseBrace, elem)
    }

    /// `open elem, ... close` for a delimited group.
    #[inline]
    pub(super) fn delimited_list<E: OnScratch<'a>>(
        &mut self,
        open: T,
        close: T,
        elem: impl FnMut(&mut Self) -> PResult<Elem<E>>,
    ) -> PResult<List<'a, E>> {
        let closer = self.open(open)?;
        let list = self.comma_list(ListEnd::Group(closer), elem)?;
        self.close(closer, close)?;
        Ok(list)
    }

    /// `< elem, ... >`: a generic parameter or argument list; consumes
    /// exactly one `>` (tokens are single characters, so `>>` is two).
    #[inline]
    pub(super) fn angle_list<E: OnScratch<'a>>(
        &mut self,
        elem: impl FnMut(&mut Self) -> PResult<Elem<E>>,
    ) -> PResult<&'a [E]> {
        const GT: TokenSet = TokenSet::new(&[T::Gt]);
        self.expect(T::Lt)?;
        let list = self.comma_list(ListEnd::Before(GT), elem)?;
        self.expect(T::Gt)?;
        Ok(list.items)
    }
}
