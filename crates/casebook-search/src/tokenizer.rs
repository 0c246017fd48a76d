//! Words for the index: runs of letters and digits, lower-cased and with
//! accents folded; Chinese and Japanese text, which has no spaces, as
//! overlapping pairs of characters so a word inside a sentence is found.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The name the schema's text fields use for [`analyzer`].
pub const TOKENIZER_NAME: &str = "casebook";

pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordAndBigramTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Splits text into words and pairs of characters, one token at a time
/// in one buffer kept from text to text: snippets tokenize up to 5,000
/// characters of every hit of every search, and a string per token was a
/// fifth of a busy server's time.
#[derive(Clone, Default)]
pub struct WordAndBigramTokenizer {
    token: Token,
}

pub struct WordAndBigramStream<'a> {
    text: &'a str,
    /// Where the next character to read starts.
    at: usize,
    /// Inside a run of Chinese or Japanese: where its last character read
    /// starts, the character, and whether the run has given a pair yet.
    cjk: Option<(usize, char, bool)>,
    token: &'a mut Token,
    /// Tokens given so far: the next one's position.
    given: usize,
}

impl Tokenizer for WordAndBigramTokenizer {
    type TokenStream<'a> = WordAndBigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordAndBigramStream<'a> {
        self.token.reset();
        WordAndBigramStream {
            text,
            at: 0,
            cjk: None,
            token: &mut self.token,
            given: 0,
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

impl WordAndBigramStream<'_> {
    fn give(&mut self, from: usize, to: usize) -> bool {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.given;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.given += 1;
        true
    }

    /// The character at `at`, if any (`at` is always where one starts).
    fn peek(&self) -> Option<char> {
        self.text.get(self.at..)?.chars().next()
    }

    /// Moves past the letters and digits that continue a word (not
    /// Chinese or Japanese, which pair instead). ASCII, most of a
    /// support archive's text, is read a byte at a time; other characters
    /// are decoded.
    fn skip_word(&mut self) {
        let bytes = self.text.as_bytes();
        loop {
            while bytes.get(self.at).is_some_and(u8::is_ascii_alphanumeric) {
                self.at += 1;
            }
            match self.peek() {
                Some(c) if !c.is_ascii() && !is_cjk(c) && c.is_alphanumeric() => {
                    self.at += c.len_utf8();
                }
                _ => return,
            }
        }
    }
}

impl TokenStream for WordAndBigramStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            // A run of Chinese or Japanese gives each pair of neighbours,
            // or its one character if it has only one.
            if let Some((a, first, paired)) = self.cjk {
                match self.peek() {
                    Some(second) if is_cjk(second) => {
                        let b = self.at;
                        self.at += second.len_utf8();
                        self.cjk = Some((b, second, true));
                        return self.give(a, self.at);
                    }
                    _ => {
                        self.cjk = None;
                        if !paired {
                            return self.give(a, a + first.len_utf8());
                        }
                    }
                }
            }
            // Spaces and punctuation in ASCII are passed over a byte at a
            // time.
            let bytes = self.text.as_bytes();
            while bytes
                .get(self.at)
                .is_some_and(|b| b.is_ascii() && !b.is_ascii_alphanumeric())
            {
                self.at += 1;
            }
            let from = self.at;
            let Some(c) = self.peek() else {
                return false;
            };
            self.at += c.len_utf8();
            if is_cjk(c) {
                self.cjk = Some((from, c, false));
            } else if c.is_alphanumeric() {
                self.skip_word();
                return self.give(from, self.at);
            }
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
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

    /// Where each token stands, read one character at a time as the rule
    /// says: letters and digits make words, Chinese and Japanese runs
    /// pair, anything else separates.
    fn spans_by_the_rule(text: &str) -> Vec<(usize, usize)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let end = |i: usize| chars.get(i).map_or(text.len(), |c| c.0);
        let mut spans = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let (from, c) = chars[i];
            if is_cjk(c) {
                let mut j = i + 1;
                while j < chars.len() && is_cjk(chars[j].1) {
                    spans.push((chars[j - 1].0, end(j + 1)));
                    j += 1;
                }
                if j == i + 1 {
                    spans.push((from, end(j)));
                }
                i = j;
            } else if c.is_alphanumeric() {
                let mut j = i + 1;
                while j < chars.len() && !is_cjk(chars[j].1) && chars[j].1.is_alphanumeric() {
                    j += 1;
                }
                spans.push((from, end(j)));
                i = j;
            } else {
                i += 1;
            }
        }
        spans
    }

    #[test]
    fn words_are_where_a_character_by_character_reading_finds_them() {
        // Letters, digits and separators of several scripts, combining
        // marks, emoji and CJK beside Latin, in every order.
        let pieces = [
            "a",
            "Z",
            "7",
            " ",
            "-",
            ".",
            "\n",
            "é",
            "ß",
            "Ω",
            "ж",
            "٣",
            "ǅ",
            "\u{301}",
            "😀",
            "東",
            "京",
            "カ",
            "\u{20001}",
            "\u{a0}",
            "_",
            "\t",
            "ı",
            "İ",
        ];
        let mut seed = 0x2545_f491_u64;
        let mut texts: Vec<String> = vec![String::new(), "abc".into(), "東".into()];
        for _ in 0..2_000 {
            let mut text = String::new();
            for _ in 0..(seed % 13) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            texts.push(text);
        }
        let mut tokenizer = WordAndBigramTokenizer::default();
        for text in &texts {
            let mut stream = tokenizer.token_stream(text);
            let mut spans = Vec::new();
            while stream.advance() {
                let t = stream.token();
                assert_eq!(t.text, text[t.offset_from..t.offset_to], "{text:?}");
                assert_eq!(t.position, spans.len(), "{text:?}");
                spans.push((t.offset_from, t.offset_to));
            }
            assert_eq!(spans, spans_by_the_rule(text), "{text:?}");
        }
    }

    /// Offsets and positions are what phrases and highlights are built
    /// from: every token, a long one the filter drops included, takes the
    /// next position, and offsets point at the text as written.
    #[test]
    fn tokens_know_where_they_stand() {
        let text = "Re: 東京 x 語 ÉTÉ-2024 ".to_owned() + &"z".repeat(70) + " 通话质";
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(&text);
        let mut seen = Vec::new();
        while let Some(t) = stream.next() {
            seen.push((
                t.text.clone(),
                t.position,
                text[t.offset_from..t.offset_to].to_owned(),
            ));
        }
        let expected = [
            ("re", 0, "Re"),
            ("東京", 1, "東京"),
            ("x", 2, "x"),
            ("語", 3, "語"),
            ("ete", 4, "ÉTÉ"),
            ("2024", 5, "2024"),
            ("通话", 7, "通话"),
            ("话质", 8, "话质"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(t, p, o)| ((*t).to_owned(), *p, (*o).to_owned()))
            .collect();
        assert_eq!(seen, expected);
        drop(stream);
        // The buffer kept from text to text starts each text afresh.
        let mut again = analyzer.token_stream("voicemail");
        let first = again
            .next()
            .map(|t| (t.text.clone(), t.position, t.offset_from));
        assert_eq!(first, Some(("voicemail".to_owned(), 0, 0)));
    }
}
