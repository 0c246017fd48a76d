//! The query language agents know from Gmail and notmuch, parsed into an
//! [`Expr`] tree before anything touches the index.
//!
//! Bare words and `"phrases"` search everywhere; `from:` `to:` `subject:`
//! `body:` narrow to one field; `-word` or `NOT word` excludes; `a OR b`
//! (binding tighter than the implicit AND between terms); parentheses;
//! `after:2008-01-31` (on or after) and `before:` (strictly before), in UTC;
//! `has:attachment`; `is:inbound` `is:outbound` `is:automated`
//! `is:answered` `is:unanswered`; `thread:ID`; `tag:NAME` (tags agents
//! gave messages; case does not matter); `customer:LIST` and `is:customer`
//! (the correspondent is on that customer list, or on any).

use casebook_vocabulary::{Direction, ThreadId};
use std::fmt;
use time::{Date, Month};

/// Where a text term is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Anywhere,
    From,
    To,
    Subject,
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Every message (an empty query).
    All,
    /// Words that must appear in this order (one word is a one-word phrase).
    Text {
        field: TextField,
        text: String,
    },
    /// On or after this day, UTC.
    After(Date),
    /// Strictly before this day, UTC.
    Before(Date),
    HasAttachment,
    Direction(Direction),
    /// Inbound mail one of our replies is (`true`) or is not paired with.
    /// Reply pairs live in the store: the caller resolves this into
    /// [`Expr::Messages`] first (unresolved, it matches nothing).
    Answered(bool),
    /// Every message of this thread; resolved by the caller like
    /// [`Expr::Answered`].
    Thread(ThreadId),
    /// Carries this tag (lowercase).
    Tag(String),
    /// The correspondent is on this customer list (`None`: on any list).
    /// The index cannot answer it: the caller resolves it into
    /// [`Expr::Messages`] first (unresolved, it matches nothing).
    Customer(Option<String>),
    /// One of these messages (shared: a filter's set is read once and
    /// kept, not copied into each search).
    Messages(std::sync::Arc<casebook_vocabulary::MessageSet>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A query the parser rejects: where (a character offset into the query)
/// and what it expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.position + 1, self.message)
    }
}

impl std::error::Error for QueryError {}

/// Characters a query may have. Queries come from anyone with a login;
/// bounding them bounds the work and the stack every later step (the
/// index query, resolving, dropping) spends on one.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// Terms (words, phrases, filters) a query may have.
pub const MAX_QUERY_TERMS: usize = 100;
/// How deep parentheses and negations may nest.
pub const MAX_QUERY_DEPTH: usize = 32;

/// Parses `input`; an empty or blank query is [`Expr::All`]. A query over
/// [`MAX_QUERY_CHARS`], [`MAX_QUERY_TERMS`] or [`MAX_QUERY_DEPTH`] is an
/// error naming the limit.
pub fn parse_query(input: &str) -> Result<Expr, QueryError> {
    if let Some((at, _)) = input.char_indices().nth(MAX_QUERY_CHARS) {
        return Err(QueryError {
            position: input[..at].chars().count(),
            message: format!(
                "the query is longer than {MAX_QUERY_CHARS} characters; search for fewer words"
            ),
        });
    }
    let tokens = lex(input)?;
    if let Some(extra) = tokens
        .iter()
        .filter(|t| matches!(t.tok, Tok::Term { .. }))
        .nth(MAX_QUERY_TERMS)
    {
        return Err(QueryError {
            position: extra.at,
            message: format!(
                "the query has more than {MAX_QUERY_TERMS} terms; search for fewer words"
            ),
        });
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.conjunction()?;
    if let Some(tok) = parser.tokens.get(parser.pos) {
        return Err(QueryError {
            position: tok.at,
            message: "unexpected `)`, it closes no `(`".to_owned(),
        });
    }
    Ok(expr)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Minus,
    Not,
    Or,
    And,
    /// A word or quoted phrase, with the field prefix it carried.
    Term {
        field: Option<String>,
        text: String,
        quoted: bool,
    },
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
}

fn lex(input: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let at = i;
        match c {
            '(' => {
                out.push(Token { tok: Tok::Open, at });
                i += 1;
            }
            ')' => {
                out.push(Token {
                    tok: Tok::Close,
                    at,
                });
                i += 1;
            }
            '-' if chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) => {
                out.push(Token {
                    tok: Tok::Minus,
                    at,
                });
                i += 1;
            }
            _ => {
                let (tok, next) = lex_term(&chars, i)?;
                out.push(Token { tok, at });
                i = next;
            }
        }
    }
    Ok(out)
}

/// A word, `field:word`, `"phrase"` or `field:"phrase"` starting at `i`.
fn lex_term(chars: &[char], mut i: usize) -> Result<(Tok, usize), QueryError> {
    let start = i;
    let mut field = None;
    if chars[i] != '"' {
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_alphabetic() {
            j += 1;
        }
        if j > i && chars.get(j) == Some(&':') {
            field = Some(chars[i..j].iter().collect::<String>().to_ascii_lowercase());
            i = j + 1;
        }
    }
    if chars.get(i) == Some(&'"') {
        let close = chars[i + 1..]
            .iter()
            .position(|&c| c == '"')
            .ok_or_else(|| QueryError {
                position: i,
                message: "this quote is never closed; add a `\"` after the phrase".to_owned(),
            })?;
        let text: String = chars[i + 1..i + 1 + close].iter().collect();
        return Ok((
            Tok::Term {
                field,
                text,
                quoted: true,
            },
            i + close + 2,
        ));
    }
    let mut j = i;
    while j < chars.len() && !chars[j].is_whitespace() && chars[j] != '(' && chars[j] != ')' {
        j += 1;
    }
    let text: String = chars[i..j].iter().collect();
    if field.is_some() && text.is_empty() {
        return Err(QueryError {
            position: i,
            message: format!(
                "expected a value after `{}`",
                chars[start..i].iter().collect::<String>()
            ),
        });
    }
    let tok = match (field.is_none(), text.as_str()) {
        (true, "OR") => Tok::Or,
        (true, "AND") => Tok::And,
        (true, "NOT") => Tok::Not,
        _ => Tok::Term {
            field,
            text,
            quoted: false,
        },
    };
    Ok((tok, j))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Parentheses and negations open around the current token.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn end_position(&self) -> usize {
        self.tokens.last().map_or(0, |t| t.at + 1)
    }

    /// Terms side by side, all of which must match, up to `)` or the end.
    fn conjunction(&mut self) -> Result<Expr, QueryError> {
        let mut parts = Vec::new();
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Close => break,
                Tok::And => {
                    self.pos += 1;
                    continue;
                }
                _ => parts.push(self.disjunction()?),
            }
        }
        Ok(match parts.len() {
            0 => Expr::All,
            1 => parts.remove(0),
            _ => Expr::And(parts),
        })
    }

    fn disjunction(&mut self) -> Result<Expr, QueryError> {
        let mut alternatives = vec![self.unary()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            alternatives.push(self.unary()?);
        }
        Ok(if alternatives.len() == 1 {
            alternatives.remove(0)
        } else {
            Expr::Or(alternatives)
        })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let Some(token) = self.tokens.get(self.pos).cloned() else {
            return Err(QueryError {
                position: self.end_position(),
                message: "expected a search term at the end of the query".to_owned(),
            });
        };
        self.pos += 1;
        if matches!(token.tok, Tok::Minus | Tok::Not | Tok::Open) {
            self.depth += 1;
            if self.depth > MAX_QUERY_DEPTH {
                return Err(QueryError {
                    position: token.at,
                    message: format!(
                        "parentheses and negations nest more than {MAX_QUERY_DEPTH} deep here; simplify the query"
                    ),
                });
            }
        }
        let parsed = self.unary_after(token);
        self.depth = self.depth.saturating_sub(1);
        parsed
    }

    fn unary_after(&mut self, token: Token) -> Result<Expr, QueryError> {
        match token.tok {
            Tok::Minus | Tok::Not => Ok(Expr::Not(Box::new(self.unary()?))),
            Tok::Open => {
                let inner = self.conjunction()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(QueryError {
                        position: token.at,
                        message: "this `(` is never closed; add a `)`".to_owned(),
                    });
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Close | Tok::Or | Tok::And => Err(QueryError {
                position: token.at,
                message: "expected a search term here".to_owned(),
            }),
            Tok::Term {
                field,
                text,
                quoted,
            } => term(field.as_deref(), text, quoted, token.at),
        }
    }
}

fn term(field: Option<&str>, text: String, quoted: bool, at: usize) -> Result<Expr, QueryError> {
    let value_at = at + field.map_or(0, |f| f.chars().count() + 1) + usize::from(quoted);
    let bad = |message: String| QueryError {
        position: value_at,
        message,
    };
    let text_in = |field| {
        Ok(Expr::Text {
            field,
            text: text.clone(),
        })
    };
    match field {
        None => text_in(TextField::Anywhere),
        Some("from") => text_in(TextField::From),
        Some("to") => text_in(TextField::To),
        Some("subject") => text_in(TextField::Subject),
        Some("body") => text_in(TextField::Body),
        Some("after") => parse_date(&text)
            .map(Expr::After)
            .ok_or_else(|| bad(format!("expected a date like 2008-01-31 after `after:`, found `{text}`"))),
        Some("before") => parse_date(&text)
            .map(Expr::Before)
            .ok_or_else(|| bad(format!("expected a date like 2008-01-31 after `before:`, found `{text}`"))),
        Some("has") => match text.to_ascii_lowercase().as_str() {
            "attachment" | "attachments" => Ok(Expr::HasAttachment),
            _ => Err(bad(format!("expected `has:attachment`, found `has:{text}`"))),
        },
        Some("is") => match text.to_ascii_lowercase().as_str() {
            "inbound" => Ok(Expr::Direction(Direction::Inbound)),
            "outbound" => Ok(Expr::Direction(Direction::Outbound)),
            "automated" => Ok(Expr::Direction(Direction::Automated)),
            "answered" => Ok(Expr::Answered(true)),
            "unanswered" => Ok(Expr::Answered(false)),
            "testimonial" => Ok(Expr::Tag("testimonial".to_owned())),
            "customer" => Ok(Expr::Customer(None)),
            _ => Err(bad(format!(
                "expected one of is:inbound, is:outbound, is:automated, is:answered, is:unanswered, is:testimonial, is:customer; found `is:{text}`"
            ))),
        },
        Some("thread") => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Expr::Thread(ThreadId(n)))
            .ok_or_else(|| bad(format!("expected a thread number after `thread:`, found `{text}`"))),
        Some("tag") => normalize_tag(&text)
            .map(Expr::Tag)
            .ok_or_else(|| bad(format!("expected a tag after `tag:` (letters, digits, - _ . /), found `{text}`"))),
        Some("customer") => Ok(Expr::Customer(Some(text.trim().to_owned()))),
        Some(other) => Err(QueryError {
            position: at,
            message: format!(
                "unknown field `{other}:`; expected one of from:, to:, subject:, body:, after:, before:, has:, is:, thread:, tag:, customer: (put the word in quotes to search for it as text)"
            ),
        }),
    }
}

/// A tag as stored and searched: trimmed, lowercase, 1 to 64 letters,
/// digits or `- _ . /`; `None` for anything else.
pub fn normalize_tag(text: &str) -> Option<String> {
    let tag = text.trim().to_lowercase();
    let valid = !tag.is_empty()
        && tag.chars().count() <= 64
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    valid.then_some(tag)
}

/// `2008-01-31` or `2008/01/31`.
fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.split(['-', '/']);
    let year = parts.next()?.parse::<i32>().ok()?;
    let month = parts.next()?.parse::<u8>().ok()?;
    let day = parts.next()?.parse::<u8>().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(field: TextField, t: &str) -> Expr {
        Expr::Text {
            field,
            text: t.to_owned(),
        }
    }

    #[test]
    fn words_fields_phrases_and_negation() {
        let q = parse_query(r#"voicemail from:ann@example.com subject:"sip trunk" -spam"#);
        assert_eq!(
            q,
            Ok(Expr::And(vec![
                text(TextField::Anywhere, "voicemail"),
                text(TextField::From, "ann@example.com"),
                text(TextField::Subject, "sip trunk"),
                Expr::Not(Box::new(text(TextField::Anywhere, "spam"))),
            ]))
        );
    }

    #[test]
    fn or_binds_tighter_than_and() {
        let q = parse_query("a OR b c");
        assert_eq!(
            q,
            Ok(Expr::And(vec![
                Expr::Or(vec![
                    text(TextField::Anywhere, "a"),
                    text(TextField::Anywhere, "b")
                ]),
                text(TextField::Anywhere, "c"),
            ]))
        );
    }

    #[test]
    fn filters() {
        let q = parse_query("after:2008-01-31 before:2008/03/01 has:attachment is:unanswered thread:7 NOT is:outbound");
        let date = |y, m, d| Date::from_calendar_date(y, m, d).expect("valid");
        assert_eq!(
            q,
            Ok(Expr::And(vec![
                Expr::After(date(2008, Month::January, 31)),
                Expr::Before(date(2008, Month::March, 1)),
                Expr::HasAttachment,
                Expr::Answered(false),
                Expr::Thread(ThreadId(7)),
                Expr::Not(Box::new(Expr::Direction(Direction::Outbound))),
            ]))
        );
    }

    #[test]
    fn customer_lists_in_queries() {
        assert_eq!(
            parse_query("customer:crm -is:customer"),
            Ok(Expr::And(vec![
                Expr::Customer(Some("crm".into())),
                Expr::Not(Box::new(Expr::Customer(None))),
            ]))
        );
        let e = parse_query("customer:").expect_err("no list");
        assert!(e.message.contains("after `customer:`"), "{e}");
    }

    /// Issue 20: one query crashed the process (stack overflow).
    #[test]
    fn hostile_queries_are_errors_naming_the_limit() {
        let deep_negation = format!("{}a", "-".repeat(5_000));
        let deep_parens = format!("{}a{}", "(".repeat(4_000), ")".repeat(4_000));
        let unclosed = "(".repeat(8_000);
        for q in [
            &deep_negation[..1_500],
            &deep_parens[..1_900],
            &unclosed[..1_000],
        ] {
            let e = parse_query(q).expect_err("refused");
            assert!(e.message.contains("nest more than 32 deep"), "{e}");
        }
        for q in [&deep_negation, &deep_parens, &unclosed] {
            let e = parse_query(q).expect_err("refused");
            assert!(e.message.contains("longer than 2000 characters"), "{e}");
            assert_eq!(e.position, 2_000);
        }
        let many = "a ".repeat(101);
        let e = parse_query(&many).expect_err("refused");
        assert!(e.message.contains("more than 100 terms"), "{e}");
        assert_eq!(e.position, 200);
        // Within the limits, all is as before.
        let nested = format!("{}voicemail{}", "(".repeat(31), ")".repeat(31));
        assert_eq!(
            parse_query(&nested),
            Ok(text(TextField::Anywhere, "voicemail"))
        );
        assert!(parse_query(&"a ".repeat(100)).is_ok());
    }

    #[test]
    fn blank_query_is_everything() {
        assert_eq!(parse_query("  "), Ok(Expr::All));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse_query("sip after:tomorrow").expect_err("bad date");
        assert_eq!(e.position, 10);
        assert!(e.message.contains("expected a date like 2008-01-31"), "{e}");

        let e = parse_query("a (b OR c").expect_err("unclosed");
        assert_eq!(e.position, 2);
        assert!(e.message.contains("never closed"));

        let e = parse_query("colour:red").expect_err("unknown field");
        assert_eq!(e.position, 0);
        assert!(e.message.contains("unknown field `colour:`"));

        let e = parse_query("a OR").expect_err("dangling or");
        assert!(e.message.contains("expected a search term"), "{e}");

        let e = parse_query("\"open phrase").expect_err("quote");
        assert_eq!(e.position, 0);
    }

    #[test]
    fn a_time_of_day_is_a_word_not_a_field() {
        assert_eq!(parse_query("10:30"), Ok(text(TextField::Anywhere, "10:30")));
    }
}
