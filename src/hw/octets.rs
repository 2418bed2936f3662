//! Reading a binary message octet by octet, where running off the end is an
//! error that names the field being read. The SMS PDU and TETRA SDS codecs
//! both read through it.

/// The message ended inside `field`; `at` is its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated {
    pub at: usize,
    pub field: &'static str,
}

/// A cursor over a message's octets.
pub struct Reader<'a> {
    octets: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(octets: &'a [u8]) -> Self {
        Reader { octets, pos: 0 }
    }

    /// The next `n` octets.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Truncated> {
        let end = self.pos.saturating_add(n);
        let slice = self.octets.get(self.pos..end).ok_or(Truncated {
            at: self.octets.len(),
            field,
        })?;
        self.pos = end;
        Ok(slice)
    }

    pub fn octet(&mut self, field: &'static str) -> Result<u8, Truncated> {
        match self.take(1, field)? {
            [octet] => Ok(*octet),
            _ => Err(Truncated {
                at: self.octets.len(),
                field,
            }),
        }
    }

    /// How many octets have been read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.octets.get(self.pos..).unwrap_or_default();
        self.pos = self.octets.len();
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_off_the_end_names_the_field() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.octet("first"), Ok(1));
        assert_eq!(r.take(2, "pair"), Ok(&[2u8, 3][..]));
        assert_eq!(
            r.octet("fourth"),
            Err(Truncated {
                at: 3,
                field: "fourth"
            })
        );
        assert!(r.rest().is_empty());
    }
}
