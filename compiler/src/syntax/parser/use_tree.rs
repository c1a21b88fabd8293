//! `use` trees: `a::b::{c, d as e, f::*}`.

use super::token_set::PATH_SEGMENT;
use super::{Elem, PResult, Parser};
use crate::syntax::Intern;
use crate::syntax::ast::{PathSegment, Span, UseTree, UseTreeKind};
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    pub(super) fn parse_use_tree(&mut self) -> PResult<UseTree<'a>> {
        self.enter()?;
        let r = self.parse_use_tree_inner();
        self.leave();
        r
    }

    fn parse_use_tree_inner(&mut self) -> PResult<UseTree<'a>> {
        let start_pos = self.pos;
        let seg_start = self.sc.segs.len();
        let global = self.eat2(T::Colon, T::Colon);
        let path_lo = self.toks[start_pos].lo;
        let kind = loop {
            match self.kind() {
                T::OpenBrace => break self.parse_use_group()?,
                T::Star => {
                    self.bump();
                    break UseTreeKind::Glob;
                }
                k if PATH_SEGMENT.contains(k) => {
                    let ident = self.ident_of(self.pos);
                    self.bump();
                    self.sc.segs.push(PathSegment::new(ident, None));
                    if self.eat2(T::Colon, T::Colon) {
                        continue;
                    }
                    let rename = if self.eat(T::KwAs) {
                        Some(self.parse_ident_or_underscore()?)
                    } else {
                        None
                    };
                    break UseTreeKind::Simple(rename);
                }
                _ => return Err(self.expected("a use path")),
            }
        };
        let span = Span {
            lo: path_lo,
            hi: self.prev_hi().max(path_lo),
        };
        let prefix = self.finish_path(global, seg_start, span);
        Ok(UseTree {
            prefix,
            kind,
            span: self.span_from(start_pos),
        })
    }

    /// `{ tree, tree }`
    fn parse_use_group(&mut self) -> PResult<UseTreeKind<'a>> {
        let list = self.brace_list(|p| p.parse_use_tree().map(Elem::Push))?;
        Ok(UseTreeKind::Nested(list.items))
    }
}
