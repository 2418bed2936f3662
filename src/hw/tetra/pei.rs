//! The PEI's lines about short data (EN 300 392-5): the `+CTSDSR` header
//! that announces a received SDS, and the identities in it. The SDS itself
//! is decoded in [`super::sds`].

use super::sds::SdsError;

/// A `+CTSDSR` unsolicited result: what the next line of hex is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdsHeader {
    pub ai_service: u8,
    /// The sender, an SSI or a TSI; some radios leave it out.
    pub from: Option<String>,
    pub from_type: Option<u8>,
    pub to: String,
    /// 0 SSI, 1 TSI, ...; 0 when the radio leaves it out.
    pub to_type: u8,
    pub bits: usize,
    pub e2ee: Option<u8>,
    /// The hex, when the radio put it on the header line itself.
    pub inline_hex: Option<String>,
}

impl SdsHeader {
    /// Octets the user data should have.
    pub fn octets(&self) -> usize {
        self.bits.div_ceil(8)
    }
}

/// Parses a `+CTSDSR` line (EN 300 392-5): `<AI service>,[<calling id>],
/// [<calling id type>],<called id>,<called id type>,<length>[,<e2ee>]`,
/// also the short forms `<AI>,<called>,<length>` and
/// `<AI>,<called>,<called type>,<length>` (ftl/tetra-pei `ParseHeader`), and
/// hex after one more comma on the same line (an older svxlink, note §2.5).
///
/// tetra-pei read e2ee before the length until its PR #1; a line in that
/// order (length 0 or 1, then a number of 8 or more) is read that way too,
/// since no SDS is 0 or 1 bit long.
pub fn parse_ctsdsr(line: &str) -> Result<SdsHeader, SdsError> {
    let line = line.trim();
    let rest = line
        .get(..8)
        .filter(|prefix| prefix.eq_ignore_ascii_case("+CTSDSR:"))
        .and_then(|_| line.get(8..))
        .ok_or_else(|| SdsError::NotCtsdsr(line.to_owned()))?;
    let fields: Vec<&str> = rest.split(',').map(str::trim).collect();
    let bad = |field: &'static str, value: &str| SdsError::BadField {
        field,
        value: value.to_owned(),
    };
    let (ai, from, from_type, to, to_type, bits, extra) = match fields.as_slice() {
        [ai, to, bits] => (*ai, "", "", *to, "", *bits, &[][..]),
        [ai, to, to_type, bits] => (*ai, "", "", *to, *to_type, *bits, &[][..]),
        [ai, from, from_type, to, to_type, bits, extra @ ..] if extra.len() <= 2 => {
            (*ai, *from, *from_type, *to, *to_type, *bits, extra)
        }
        other => return Err(SdsError::FieldCount(other.len())),
    };
    let ai_service: u8 = ai.parse().map_err(|_| bad("AI service", ai))?;
    if to.is_empty() {
        return Err(bad("called party identity", to));
    }
    let type_of = |field: &'static str, value: &str| -> Result<Option<u8>, SdsError> {
        if value.is_empty() {
            Ok(None)
        } else {
            value.parse().map(Some).map_err(|_| bad(field, value))
        }
    };
    let from_type = type_of("calling party identity type", from_type)?;
    let to_type = type_of("called party identity type", to_type)?.unwrap_or(0);
    let mut bits_field = bits;
    let (mut e2ee, mut inline_hex) = (None, None);
    match extra {
        [] => {}
        [one] if is_flag(bits) && one.parse::<usize>().is_ok_and(|n| n >= 8) => {
            e2ee = type_of("end-to-end encryption flag", bits)?;
            bits_field = one;
        }
        [one] if is_flag(one) => e2ee = type_of("end-to-end encryption flag", one)?,
        [one] => inline_hex = hex_field(one).map_err(|_| bad("user data", one))?,
        [flag, hex] => {
            e2ee = type_of("end-to-end encryption flag", flag)?;
            inline_hex = hex_field(hex).map_err(|_| bad("user data", hex))?;
        }
        _ => return Err(SdsError::FieldCount(fields.len())),
    }
    let bits = bits_field
        .parse()
        .map_err(|_| bad("length in bits", bits_field))?;
    Ok(SdsHeader {
        ai_service,
        from: (!from.is_empty()).then(|| from.to_owned()),
        from_type,
        to: to.to_owned(),
        to_type,
        bits,
        e2ee,
        inline_hex,
    })
}

/// The e2ee field is a flag; inline hex is never a single digit.
fn is_flag(field: &str) -> bool {
    field.len() == 1 && field.bytes().all(|b| b.is_ascii_digit())
}

fn hex_field(field: &str) -> Result<Option<String>, ()> {
    if field.is_empty() {
        Ok(None)
    } else if field
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c.is_whitespace())
    {
        Ok(Some(field.to_owned()))
    } else {
        Err(())
    }
}

/// The SSI in an identity as `+CTSDSR` gives it: an SSI of up to 8 digits,
/// or a TSI of 15 to 17 digits (MCC of 3 or 4, MNC of 4 or 5, then 8 digits
/// of SSI; Wodie `TetraLib.pm` `splitTsi`, svxlink `getTSI`). An SSI is 24
/// bits, so a larger number is not one.
pub fn ssi_of(identity: &str) -> Option<u32> {
    let identity = identity.trim();
    if identity.is_empty() || !identity.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ssi = match identity.len() {
        1..=8 => identity,
        15..=17 => identity.get(identity.len() - 8..)?,
        _ => return None,
    };
    ssi.parse().ok().filter(|&n: &u32| n <= 0x00FF_FFFF)
}
