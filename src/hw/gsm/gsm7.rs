//! The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038
//! §6.2.1 and §6.2.1.1), and the packing of septets into octets (§6.1.2.1).
//!
//! Text goes through two steps: characters become septets (one per character,
//! two for extension characters: the escape 0x1B and the code), then septets
//! are packed eight to seven octets, optionally after some fill bits so that a
//! user data header ends on a septet boundary (TS 23.040 §9.2.3.24).

/// The escape to the extension table; it has no character of its own.
pub const ESC: u8 = 0x1B;

/// The default alphabet, indexed by septet. Slot 0x1B is the escape; it holds a
/// space because TS 23.038 asks for a space where a further table would be.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: code after the escape, and its character. Form feed is
/// here because the spec lists it; CR2 (0x0D) is a control with no character.
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

fn basic_code(c: char) -> Option<u8> {
    BASIC
        .iter()
        .enumerate()
        // The escape slot holds a display placeholder, not a character to send.
        .filter(|&(code, _)| code != usize::from(ESC))
        .find(|&(_, &b)| b == c)
        .and_then(|(code, _)| u8::try_from(code).ok())
}

fn extension_code(c: char) -> Option<u8> {
    EXTENSION
        .iter()
        .find(|&&(_, e)| e == c)
        .map(|&(code, _)| code)
}

fn basic_char(septet: u8) -> char {
    BASIC
        .get(usize::from(septet & 0x7F))
        .copied()
        .unwrap_or(' ')
}

fn extension_char(code: u8) -> Option<char> {
    EXTENSION
        .iter()
        .find(|&&(c, _)| c == code & 0x7F)
        .map(|&(_, ch)| ch)
}

/// How many septets `c` takes: 1 in the default table, 2 in the extension
/// table, None when it has no GSM 7-bit form at all.
pub fn septet_len(c: char) -> Option<usize> {
    if basic_code(c).is_some() {
        Some(1)
    } else if extension_code(c).is_some() {
        Some(2)
    } else {
        None
    }
}

/// Whether every character of `text` has a GSM 7-bit form.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| septet_len(c).is_some())
}

/// The septets for `text`, or None if any character is outside the default
/// and extension tables. Extension characters become `[0x1B, code]`.
pub fn to_septets(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(code) = basic_code(c) {
            out.push(code);
        } else {
            out.push(ESC);
            out.push(extension_code(c)?);
        }
    }
    Some(out)
}

/// The text for `septets`. An escape followed by a code the extension table
/// lacks shows the default-table character for that code, as TS 23.038
/// §6.2.1.1 asks; an escape with nothing after it shows a space. The eighth bit
/// of each value is ignored, so any byte string decodes.
pub fn from_septets(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut rest = septets.iter();
    while let Some(&septet) = rest.next() {
        if septet & 0x7F == ESC {
            match rest.next() {
                Some(&code) => out.push(extension_char(code).unwrap_or_else(|| basic_char(code))),
                None => out.push(' '),
            }
        } else {
            out.push(basic_char(septet));
        }
    }
    out
}

/// Packs septets into octets, least significant bit first, after `fill_bits`
/// zero bits (the padding that puts text on a septet boundary after a user
/// data header).
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let fill = usize::from(fill_bits);
    let mut out = vec![0u8; (fill + 7 * septets.len()).div_ceil(8)];
    for (i, &septet) in septets.iter().enumerate() {
        let bit = fill + 7 * i;
        let shift = bit % 8;
        let wide = u16::from(septet & 0x7F) << shift;
        let [low, high] = wide.to_le_bytes();
        if let Some(octet) = out.get_mut(bit / 8) {
            *octet |= low;
        }
        if high != 0 {
            if let Some(octet) = out.get_mut(bit / 8 + 1) {
                *octet |= high;
            }
        }
    }
    out
}

/// Unpacks up to `count` septets that start `fill_bits` bits into `octets`.
/// Stops early, without error, at the last whole septet the octets hold.
pub fn unpack(octets: &[u8], fill_bits: u8, count: usize) -> Vec<u8> {
    let fill = usize::from(fill_bits);
    let available = (octets.len() * 8).saturating_sub(fill) / 7;
    let wanted = count.min(available);
    let mut out = Vec::with_capacity(wanted);
    for i in 0..wanted {
        let bit = fill + 7 * i;
        let low = octets.get(bit / 8).copied().unwrap_or(0);
        let high = octets.get(bit / 8 + 1).copied().unwrap_or(0);
        let wide = u16::from_le_bytes([low, high]);
        out.push(((wide >> (bit % 8)) & 0x7F) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    // 3GPP TS 23.038 §6.1.2.1.1 (packing of 7-bit characters), the worked
    // example: "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37.
    #[test]
    fn spec_example_hellohello() {
        let septets = to_septets("hellohello").unwrap();
        assert_eq!(septets.len(), 10);
        let packed = pack(&septets, 0);
        assert_eq!(hex(&packed), "E8329BFD4697D9EC37");
        assert_eq!(from_septets(&unpack(&packed, 0, 10)), "hellohello");
    }

    // faucamp/python-gsmmodem test/test_pdu.py, TestGsm7 (test_encode,
    // test_packSeptets): text, septets, packed octets.
    #[test]
    fn python_gsmmodem_gsm7_vectors() {
        let cases: [(&str, &[u8], &[u8]); 5] = [
            ("123", b"123", &[49, 217, 12]),
            (
                "Hello World!",
                &[
                    0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0x57, 0x6F, 0x72, 0x6C, 0x64, 0x21,
                ],
                &[200, 50, 155, 253, 6, 93, 223, 114, 54, 57, 4],
            ),
            (
                "[{abc}]~",
                &[
                    0x1B, 0x3C, 0x1B, 0x28, 0x61, 0x62, 0x63, 0x1B, 0x29, 0x1B, 0x3E, 0x1B, 0x3D,
                ],
                &[27, 222, 6, 21, 22, 143, 55, 169, 141, 111, 211, 3],
            ),
            (
                "{åΦΓΛΩΠΨΣΘ€}",
                &[27, 40, 15, 18, 19, 20, 21, 22, 23, 24, 25, 27, 101, 27, 41],
                &[27, 212, 67, 50, 161, 84, 44, 23, 76, 102, 83, 222, 164, 0],
            ),
            (
                "a[]{}€",
                &[97, 27, 60, 27, 62, 27, 40, 27, 41, 27, 101],
                &[225, 13, 111, 227, 219, 160, 54, 169, 77, 25],
            ),
        ];
        for (text, septets, packed) in cases {
            assert_eq!(to_septets(text).unwrap(), septets, "{text}");
            assert_eq!(pack(septets, 0), packed, "{text}");
            assert_eq!(unpack(packed, 0, septets.len()), septets, "{text}");
            assert_eq!(from_septets(septets), text);
        }
    }

    #[test]
    fn extension_characters_round_trip() {
        let text = "€[]{}^~|\\ and \u{0C}";
        let septets = to_septets(text).unwrap();
        assert_eq!(&septets[..4], &[ESC, 0x65, ESC, 0x3C]);
        assert_eq!(septets.len(), text.chars().count() + 10);
        for fill in 0..7 {
            let packed = pack(&septets, fill);
            assert_eq!(from_septets(&unpack(&packed, fill, septets.len())), text);
        }
    }

    #[test]
    fn every_default_character_round_trips() {
        let all: String = (0u8..128).filter(|&c| c != ESC).map(basic_char).collect();
        let septets = to_septets(&all).unwrap();
        assert_eq!(septets.len(), 127);
        assert_eq!(from_septets(&septets), all);
    }

    #[test]
    fn characters_outside_the_tables_are_refused() {
        assert_eq!(to_septets("Привет"), None);
        assert_eq!(to_septets("ok 😀"), None);
        assert_eq!(to_septets("ç"), None);
        assert!(is_gsm7("Ça va? [ok]"));
        assert_eq!(septet_len('€'), Some(2));
        assert_eq!(septet_len('a'), Some(1));
        assert_eq!(septet_len('ж'), None);
    }

    #[test]
    fn unknown_escapes_fall_back_to_the_default_table() {
        // 0x41 is not in the extension table: the default 'A' shows instead.
        assert_eq!(from_septets(&[ESC, 0x41, 0x42]), "AB");
        // A trailing escape, and an escape to a further table, show spaces.
        assert_eq!(from_septets(&[0x41, ESC]), "A ");
        assert_eq!(from_septets(&[ESC, ESC]), " ");
        // The eighth bit is ignored rather than trusted.
        assert_eq!(from_septets(&[0xC1, 0xFF]), "Aà");
    }

    #[test]
    fn fill_bits_shift_the_stream() {
        // After a six-octet concatenation header one fill bit is needed.
        let septets = to_septets("hellohello").unwrap();
        let packed = pack(&septets, 1);
        assert_eq!(packed.first().copied().unwrap() & 1, 0);
        assert_eq!(packed.len(), (1 + 70usize).div_ceil(8));
        assert_eq!(unpack(&packed, 1, 10), septets);
    }

    #[test]
    fn short_input_unpacks_what_is_there() {
        assert!(unpack(&[], 0, 10).is_empty());
        assert!(unpack(&[], 6, usize::MAX).is_empty());
        assert_eq!(unpack(&[0xE8], 0, 10), vec![0x68]);
        assert_eq!(unpack(&[0xE8, 0x32], 0, usize::MAX).len(), 2);
        assert_eq!(unpack(&[0xFF; 7], 200, 3), Vec::<u8>::new());
        assert!(pack(&[], 0).is_empty());
    }
}
