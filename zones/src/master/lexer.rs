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

/// The most token text one entry may hold. Record data is at most 65535 octets, and its text
/// takes at most four bytes per octet (`\DDD`, also in names); the rest is for the owner,
/// TTL, class, type and `\# len`.
pub(crate) const MAX_ENTRY_TEXT: usize = 4 * 0xffff + 4096;

/// The most fields one entry may hold: every field of record data stands for at least half
/// an octet (one hex digit), plus owner, TTL, class, type, `\#` and length.
pub(crate) const MAX_ENTRY_TOKENS: usize = 2 * 0xffff + 16;

/// The running size of the entry being read, so that an oversized one fails as soon as it
/// passes a limit instead of after the whole of it is held in memory.
#[derive(Default)]
struct EntrySize {
    /// Token text bytes so far.
    text: usize,
    /// Tokens so far.
    tokens: usize,
}

impl EntrySize {
    /// Fails when the token being read (`partial` bytes so far) already passes the limit, so
    /// one endless token is never held whole either.
    fn check(&self, partial: usize, entry: &Entry, col: usize) -> Result<(), Located> {
        if self.text + partial > MAX_ENTRY_TEXT {
            return Err(Located {
                line: entry.line,
                col,
                kind: SyntaxError::EntryTooLong,
            });
        }
        Ok(())
    }

    /// Counts a token of `len` bytes; the error points at the entry's start.
    fn add(&mut self, len: usize, entry: &Entry, col: usize) -> Result<(), Located> {
        self.text += len;
        self.tokens += 1;
        if self.text > MAX_ENTRY_TEXT || self.tokens > MAX_ENTRY_TOKENS {
            return Err(Located {
                line: entry.line,
                col,
                kind: SyntaxError::EntryTooLong,
            });
        }
        Ok(())
    }
}

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
    let mut size = EntrySize::default();
    let mut entry_col = 1usize;
    let mut i = 0usize;
    while i < input.len() {
        let c = input[i];
        let col = i - line_start + 1;
        if at_line_start && depth == 0 {
            cur.line = line;
            size = EntrySize::default();
            entry_col = col;
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
                    size.check(text.len(), &cur, entry_col)?;
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
                size.add(text.len(), &cur, entry_col)?;
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
                    size.check(text.len(), &cur, entry_col)?;
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
                size.add(text.len(), &cur, entry_col)?;
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
    fn an_entry_with_more_fields_than_any_record_can_have_fails_at_its_line() {
        let mut src = b"a A 1.2.3.4\nb TXT (\n".to_vec();
        for _ in 0..MAX_ENTRY_TOKENS {
            src.extend_from_slice(b"\"\"\n");
        }
        src.extend_from_slice(b")\n");
        let err = tokenize(&src).unwrap_err();
        assert_eq!(err.kind, SyntaxError::EntryTooLong);
        assert_eq!((err.line, err.col), (2, 1));
    }

    #[test]
    fn an_entry_just_within_the_text_limit_is_accepted() {
        let mut src = b"b TXT (".to_vec();
        let strings = (MAX_ENTRY_TEXT - 16) / 255;
        for _ in 0..strings {
            src.push(b'"');
            src.extend_from_slice(&[b'x'; 255]);
            src.extend_from_slice(b"\" ");
        }
        src.extend_from_slice(b")\n");
        assert_eq!(tokenize(&src).unwrap()[0].tokens.len(), strings + 2);
        let mut over = b"b TXT ".to_vec();
        over.extend(std::iter::repeat_n(b'x', MAX_ENTRY_TEXT));
        assert_eq!(tokenize(&over).unwrap_err().kind, SyntaxError::EntryTooLong);
    }

    #[test]
    fn decimal_escapes_above_255_are_rejected() {
        assert!(unescape(b"\\256").is_err());
        assert_eq!(unescape(b"\\065\\.").unwrap(), b"A.");
    }
}
