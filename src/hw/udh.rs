//! The concatenation element of a user data header (3GPP TS 23.040
//! §9.2.3.24.1 and .8), which long SMS use and TETRA SDS-TL text (EN 300
//! 392-2 clause 29.5.9.4) reuses as it is.

/// The element with an 8-bit reference.
pub const IEI_CONCAT_8: u8 = 0x00;
/// The element with a 16-bit reference.
pub const IEI_CONCAT_16: u8 = 0x08;

/// Where a part sits in a concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concat {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
}

/// Finds the concatenation element among the header's elements, stepping
/// over any others by their own lengths. The 16-bit reference is read
/// big-endian as in SMS; ftl/tetra-pei reads it low octet first. Either
/// way all parts of one message agree, which is what matters.
pub fn concat_of(mut header: &[u8]) -> Option<Concat> {
    let mut found = None;
    while let [iei, len, rest @ ..] = header {
        let len = usize::from(*len);
        let Some(data) = rest.get(..len) else { break };
        let candidate = match (*iei, data) {
            (IEI_CONCAT_8, [reference, total, seq]) => Some(Concat {
                reference: u16::from(*reference),
                total: *total,
                seq: *seq,
            }),
            (IEI_CONCAT_16, [high, low, total, seq]) => Some(Concat {
                reference: u16::from_be_bytes([*high, *low]),
                total: *total,
                seq: *seq,
            }),
            _ => None,
        };
        // §9.2.3.24.1: a receiver ignores an element with impossible numbers.
        if let Some(c) = candidate.filter(|c| c.seq >= 1 && c.seq <= c.total) {
            found = Some(c);
        }
        header = rest.get(len..).unwrap_or_default();
    }
    found
}
