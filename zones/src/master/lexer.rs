//! Tokenizer for RFC 1035 section 5.1 master files: entries, parentheses, comments, quotes.
//!
//! The lexer only splits text; escapes stay in the token text so that the name parser can
//! tell an escaped dot (`\.`, part of a label) from a label separator. Every token carries its
//! line and column so that errors further on can point at it.

use super::error::SyntaxError;

//------------ Token ---------------------------------------------------------

/// One whitespace-separated field of an entry, escapes left in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// Raw bytes: without the surrounding quotes for a quoted string, escapes kept.
    pub text: Vec<u8>,
    /// True when the field was written in double quotes.
    pub quoted: bool,
    /// 1-based line of the first byte.
    pub line: usize,
    /// 1-based column of the first byte.
    pub col: usize,
}

impl Token {
    /// The token as text for messages and mnemonic matching (lossy for odd bytes).
    pub fn as_str(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }

    /// True when the token is exactly `s`, ignoring ASCII case; quoted tokens never match,
    /// because `"IN"` is a string, not a class.
    pub fn is(&self, s: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(s.as_bytes())
    }
}

//------------ Entry ---------------------------------------------------------

/// One logical entry: a line, or several joined by parentheses.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Line where the entry starts.
    pub line: usize,
    /// True when the entry starts with blank space: the owner is the previous one.
    pub blank_owner: bool,
    /// The fields.
    pub tokens: Vec<Token>,
}

//------------ tokenize ------------------------------------------------------

/// A lexer failure with its position.
#[derive(Debug)]
pub(crate) struct Located {
    /// Line of the problem.
    pub line: usize,
    /// Column of the problem.
    pub col: usize,
    /// What went wrong.
    pub kind: SyntaxError,
}

/// Splits a whole file into entries. Entries without fields (blank lines, comments) are dropped.
pub(crate) fn tokenize(input: &[u8]) -> Result<Vec<Entry>, Located> {
    let mut entries = Vec::new();
    let mut line = 1usize;
    let mut line_start = 0usize;
    let mut depth = 0usize;
    let mut paren_at = (0, 0);
    let mut cur = Entry {
        line: 1,
        blank_owner: false,
        tokens: Vec::new(),
    };
    let mut at_line_start = true;
    let mut i = 0usize;
    while i < input.len() {
        let c = input[i];
        let col = i - line_start + 1;
        if at_line_start && depth == 0 {
            cur.line = line;
            cur.blank_owner = c == b' ' || c == b'\t';
            at_line_start = false;
        }
        match c {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                if depth == 0 {
                    if !cur.tokens.is_empty() {
                        entries.push(Entry {
                            line: cur.line,
                            blank_owner: cur.blank_owner,
                            tokens: std::mem::take(&mut cur.tokens),
                        });
                    }
                    at_line_start = true;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b';' => {
                while i < input.len() && input[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                if depth == 0 {
                    paren_at = (line, col);
                }
                depth += 1;
                i += 1;
            }
            b')' => {
                if depth == 0 {
                    return Err(Located {
                        line,
                        col,
                        kind: SyntaxError::UnbalancedParenthesis,
                    });
                }
                depth -= 1;
                i += 1;
            }
            b'"' => {
                let mut text = Vec::new();
                i += 1;
                loop {
                    match input.get(i) {
                        None | Some(b'\n') => {
                            return Err(Located {
                                line,
                                col,
                                kind: SyntaxError::UnterminatedString,
                            });
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            text.push(b'\\');
                            match input.get(i + 1) {
                                Some(&n) if n != b'\n' => {
                                    text.push(n);
                                    i += 2;
                                }
                                _ => {
                                    return Err(Located {
                                        line,
                                        col,
                                        kind: SyntaxError::UnterminatedString,
                                    });
                                }
                            }
                        }
                        Some(&b) => {
                            text.push(b);
                            i += 1;
                        }
                    }
                }
                cur.tokens.push(Token {
                    text,
                    quoted: true,
                    line,
                    col,
                });
            }
            _ => {
                let mut text = Vec::new();
                while let Some(&b) = input.get(i) {
                    match b {
                        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                        b'\\' => {
                            text.push(b'\\');
                            match input.get(i + 1) {
                                Some(&n) if n != b'\n' => {
                                    text.push(n);
                                    i += 2;
                                }
                                _ => {
                                    return Err(Located {
                                        line,
                                        col,
                                        kind: SyntaxError::DanglingEscape,
                                    });
                                }
                            }
                        }
                        _ => {
                            text.push(b);
                            i += 1;
                        }
                    }
                }
                cur.tokens.push(Token {
                    text,
                    quoted: false,
                    line,
                    col,
                });
            }
        }
    }
    if depth > 0 {
        return Err(Located {
            line: paren_at.0,
            col: paren_at.1,
            kind: SyntaxError::UnbalancedParenthesis,
        });
    }
    if !cur.tokens.is_empty() {
        entries.push(cur);
    }
    Ok(entries)
}

/// Resolves `\X` and `\DDD` escapes into bytes.
pub(crate) fn unescape(text: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            let (byte, used) = escape_at(text, i)?;
            out.push(byte);
            i += used;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Decodes the escape starting at `text[i] == b'\\'`: the byte and how many bytes it used.
pub(crate) fn escape_at(text: &[u8], i: usize) -> Result<(u8, usize), SyntaxError> {
    let Some(&next) = text.get(i + 1) else {
        return Err(SyntaxError::DanglingEscape);
    };
    if next.is_ascii_digit() {
        let digits = text.get(i + 1..i + 4).ok_or(SyntaxError::BadEscape)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(SyntaxError::BadEscape);
        }
        let v = digits
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        let byte = u8::try_from(v).map_err(|_| SyntaxError::BadEscape)?;
        Ok((byte, 4))
    } else {
        Ok((next, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(e: &Entry) -> Vec<String> {
        e.tokens.iter().map(Token::as_str).collect()
    }

    #[test]
    fn parentheses_join_lines_and_comments_are_dropped() {
        let src = b"a SOA ns host ( 1 ; serial\n 2 3\n 4 5 )\nb A 1.2.3.4\n";
        let entries = tokenize(src).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(texts(&entries[0]).len(), 9);
        assert_eq!(entries[1].line, 4);
    }

    #[test]
    fn leading_blank_marks_the_previous_owner() {
        let entries = tokenize(b"a A 1.2.3.4\n  A 5.6.7.8\n").unwrap();
        assert!(!entries[0].blank_owner);
        assert!(entries[1].blank_owner);
    }

    #[test]
    fn quoted_strings_keep_spaces_and_escapes() {
        let entries = tokenize(b"a TXT \"x y\\\" z\"\n").unwrap();
        let t = &entries[0].tokens[2];
        assert!(t.quoted);
        assert_eq!(unescape(&t.text).unwrap(), b"x y\" z");
    }

    #[test]
    fn an_unclosed_parenthesis_is_reported_where_it_opened() {
        let err = tokenize(b"a A (\n1.2.3.4\n").unwrap_err();
        assert_eq!((err.line, err.col), (1, 5));
    }

    #[test]
    fn decimal_escapes_above_255_are_rejected() {
        assert!(unescape(b"\\256").is_err());
        assert_eq!(unescape(b"\\065\\.").unwrap(), b"A.");
    }
}
