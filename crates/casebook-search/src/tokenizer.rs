//! Words for the index: runs of letters and digits, lower-cased and with
//! accents folded; Chinese and Japanese text, which has no spaces, as
//! overlapping pairs of characters so a word inside a sentence is found.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The name the schema's text fields use for [`analyzer`].
pub const TOKENIZER_NAME: &str = "casebook";

pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordAndBigramTokenizer)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

#[derive(Clone, Default)]
pub struct WordAndBigramTokenizer;

pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for WordAndBigramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: tokenize(text),
            next: 0,
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'   // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}' // CJK extension A
        | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
        | '\u{f900}'..='\u{faff}' // compatibility ideographs
        | '\u{ff66}'..='\u{ff9f}' // half-width katakana
        | '\u{20000}'..='\u{2ffff}')
}

#[derive(PartialEq)]
enum Run {
    None,
    Word,
    Cjk,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut run = Run::None;
    let mut start = 0;
    let mut cjk: Vec<(usize, char)> = Vec::new();
    for (i, c) in text.char_indices() {
        let kind = if is_cjk(c) {
            Run::Cjk
        } else if c.is_alphanumeric() {
            Run::Word
        } else {
            Run::None
        };
        if kind != run {
            flush(text, &run, start, i, &mut cjk, &mut tokens);
            run = kind;
            start = i;
        }
        if run == Run::Cjk {
            cjk.push((i, c));
        }
    }
    flush(text, &run, start, text.len(), &mut cjk, &mut tokens);
    tokens
}

fn flush(
    text: &str,
    run: &Run,
    start: usize,
    end: usize,
    cjk: &mut Vec<(usize, char)>,
    tokens: &mut Vec<Token>,
) {
    match run {
        Run::None => {}
        Run::Word => push(tokens, text, start, end),
        Run::Cjk => {
            if cjk.len() == 1 {
                push(tokens, text, start, end);
            }
            for pair in cjk.windows(2) {
                let (a, _) = pair[0];
                let (b, c) = pair[1];
                push(tokens, text, a, b + c.len_utf8());
            }
            cjk.clear();
        }
    }
}

fn push(tokens: &mut Vec<Token>, text: &str, from: usize, to: usize) {
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position: tokens.len(),
        text: text[from..to].to_owned(),
        position_length: 1,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn latin_words_are_lowercased_and_folded() {
        assert_eq!(
            words("Café SIP-Trunk, v2.1!"),
            ["cafe", "sip", "trunk", "v2", "1"]
        );
    }

    #[test]
    fn cjk_runs_become_bigrams() {
        assert_eq!(words("東京都で"), ["東京", "京都", "都で"]);
        assert_eq!(words("a 語 b"), ["a", "語", "b"]);
        assert_eq!(
            words("通话质量很差abc"),
            ["通话", "话质", "质量", "量很", "很差", "abc"]
        );
    }
}
