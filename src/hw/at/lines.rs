//! Splits the bytes a modem or radio writes into lines and the `> ` prompt.
//!
//! Devices are sloppy: SIMCom ends some URCs with `\r\r\n`, Huawei sticks add
//! blank lines, some firmware sends bare `\n`, and a USB hiccup can leave half
//! a line or binary noise. Any of `\r` and `\n` ends a line, empty lines
//! vanish, and the prompt (which has no line end at all) is recognised as soon
//! as it is complete.

/// The longest line kept; longer runs are noise and are cut off.
const MAX_LINE: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Line(String),
    /// The `> ` a device writes when it waits for a PDU or SDS payload.
    Prompt,
}

#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes in; complete tokens come out in order.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Token>) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => self.end_line(out),
                _ => {
                    if self.partial.len() >= MAX_LINE {
                        tracing::warn!(
                            bytes = self.partial.len(),
                            "over-long line from the device dropped"
                        );
                        self.partial.clear();
                    }
                    self.partial.push(b);
                    if self.partial == b"> " {
                        self.partial.clear();
                        out.push(Token::Prompt);
                    }
                }
            }
        }
    }

    /// A lone `>` with nothing after it yet: some firmware omits the space.
    fn bare_prompt_pending(&self) -> bool {
        self.partial == b">"
    }

    pub fn take_bare_prompt(&mut self) -> bool {
        let bare = self.bare_prompt_pending();
        if bare {
            self.partial.clear();
        }
        bare
    }

    /// Throws away a half line, e.g. after the port was reopened.
    pub fn reset(&mut self) {
        self.partial.clear();
    }

    fn end_line(&mut self, out: &mut Vec<Token>) {
        if self.partial.is_empty() {
            return;
        }
        let raw = std::mem::take(&mut self.partial);
        let text: String = String::from_utf8_lossy(&raw)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let text = text.trim();
        if !text.is_empty() {
            out.push(Token::Line(text.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<Token> {
        let mut s = LineSplitter::new();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, &mut out);
        }
        out
    }

    fn line(s: &str) -> Token {
        Token::Line(s.to_owned())
    }

    #[test]
    fn line_ends_of_every_kind_and_blank_lines() {
        let out = split(&[b"\r\nOK\r\n\r\n+RXDTMF: 8\r\r\n", b"A\nB\r", b"\r\n\r\n"]);
        assert_eq!(
            out,
            vec![line("OK"), line("+RXDTMF: 8"), line("A"), line("B")]
        );
    }

    #[test]
    fn lines_split_across_reads_join() {
        let out = split(&[b"\r\n+CS", b"Q: 2", b"0,99\r", b"\n"]);
        assert_eq!(out, vec![line("+CSQ: 20,99")]);
    }

    #[test]
    fn prompt_without_line_end_is_seen_at_once() {
        let out = split(&[b"\r\n> "]);
        assert_eq!(out, vec![Token::Prompt]);
        let out = split(&[b"\r\n>", b" "]);
        assert_eq!(out, vec![Token::Prompt]);
    }

    #[test]
    fn noise_is_cleaned_and_never_panics() {
        let mut noise = vec![0u8, 0xff, 0xfe, 0x1b, b'x'];
        noise.extend(std::iter::repeat_n(b'Z', MAX_LINE * 2));
        noise.extend_from_slice(b"\r\nOK\r\n");
        let out = split(&[&noise]);
        assert_eq!(out.last(), Some(&line("OK")));
    }
}
