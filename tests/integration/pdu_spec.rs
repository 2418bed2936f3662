//! A second, independent reading of SMS-SUBMIT, written from 3GPP TS 23.040
//! §9.2.2.2 and TS 23.038 rather than from the appliance's codec, so a test
//! can check what the appliance sent without trusting the code that built it.
//!
//! It deliberately works differently from `hw::gsm::pdu`: the PDU becomes a
//! string of bits and every field is read by its width in bits, in the order
//! of the spec's figure; packed septets are re-read from a least-significant-
//! bit-first bit string. It panics on anything malformed: it is test code,
//! and a malformed PDU from the appliance is a failed test.

/// What an SMS-SUBMIT says, as the spec names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSubmit {
    /// TP-SRR.
    pub status_report_requested: bool,
    /// TP-VP when TP-VPF says "relative"; other formats give None.
    pub validity_relative: Option<u8>,
    /// TP-DA: "+" and the digits for TON international, the digits otherwise.
    pub destination: String,
    /// TP-DCS as sent.
    pub dcs: u8,
    /// The concatenation element: (reference, total, sequence).
    pub concat: Option<(u16, u8, u8)>,
    pub text: String,
}

/// TS 23.038 §6.2.1, the default alphabet in code order; position 0x1B (the
/// escape) holds a space.
const DEFAULT_ALPHABET: &str =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// TS 23.038 §6.2.1.1, the extension table after the escape.
fn extension(code: u32) -> Option<char> {
    Some(match code {
        10 => '\u{c}',
        20 => '^',
        40 => '{',
        41 => '}',
        47 => '\\',
        60 => '[',
        61 => '~',
        62 => ']',
        64 => '|',
        101 => '€',
        _ => return None,
    })
}

/// Reads a PDU most-significant bit first, field by field.
struct Bits {
    bits: Vec<bool>,
    at: usize,
}

impl Bits {
    fn from_hex(hex: &str) -> Self {
        let hex = hex.trim();
        assert_eq!(hex.len() % 2, 0, "odd-length PDU hex: {hex}");
        let mut bits = Vec::with_capacity(hex.len() * 4);
        for i in (0..hex.len()).step_by(2) {
            let octet = u8::from_str_radix(&hex[i..i + 2], 16)
                .unwrap_or_else(|_| panic!("not hex at {i}: {hex}"));
            bits.extend((0..8).rev().map(|b| (octet >> b) & 1 == 1));
        }
        Bits { bits, at: 0 }
    }

    fn read(&mut self, width: usize, field: &str) -> u32 {
        assert!(
            self.at + width <= self.bits.len(),
            "the SUBMIT ends inside {field} (bit {} of {})",
            self.at,
            self.bits.len()
        );
        let value = self.bits[self.at..self.at + width]
            .iter()
            .fold(0, |acc, &bit| (acc << 1) | u32::from(bit));
        self.at += width;
        value
    }

    fn flag(&mut self, field: &str) -> bool {
        self.read(1, field) == 1
    }

    fn octet(&mut self, field: &str) -> u8 {
        self.read(8, field) as u8
    }

    fn octets(&mut self, n: usize, field: &str) -> Vec<u8> {
        (0..n).map(|_| self.octet(field)).collect()
    }
}

/// Reads septets from user data: TS 23.038 §6.1.2.1.1 fills each octet from
/// its least significant bit, so the bits are laid out in that order first.
fn septets(octets: &[u8], skip_bits: usize, count: usize) -> Vec<u32> {
    let lsb_first: Vec<bool> = octets
        .iter()
        .flat_map(|&o| (0..8).map(move |b| (o >> b) & 1 == 1))
        .collect();
    (0..count)
        .map(|n| {
            let start = skip_bits + 7 * n;
            let bits = lsb_first
                .get(start..start + 7)
                .unwrap_or_else(|| panic!("user data too short for septet {n}"));
            bits.iter()
                .enumerate()
                .map(|(place, &bit)| u32::from(bit) << place)
                .sum()
        })
        .collect()
}

fn gsm7_text(codes: &[u32]) -> String {
    let alphabet: Vec<char> = DEFAULT_ALPHABET.chars().collect();
    let mut text = String::new();
    let mut escaped = false;
    for &code in codes {
        if escaped {
            text.push(extension(code).unwrap_or(alphabet[code as usize]));
            escaped = false;
        } else if code == 0x1B {
            escaped = true;
        } else {
            text.push(alphabet[code as usize]);
        }
    }
    text
}

/// Decodes an SMS-SUBMIT as given to `AT+CMGS`, SMSC field first.
pub fn decode_submit(hex_with_smsc_prefix: &str) -> SpecSubmit {
    let mut pdu = Bits::from_hex(hex_with_smsc_prefix);

    // TS 27.005 §3.1: the SMSC field's length counts octets.
    let smsc_len = pdu.octet("SMSC length") as usize;
    pdu.octets(smsc_len, "SMSC address");

    // TS 23.040 §9.2.2.2, first octet from bit 7 down.
    let _reply_path = pdu.flag("TP-RP");
    let header_present = pdu.flag("TP-UDHI");
    let status_report_requested = pdu.flag("TP-SRR");
    let validity_format = pdu.read(2, "TP-VPF");
    let _reject_duplicates = pdu.flag("TP-RD");
    let message_type = pdu.read(2, "TP-MTI");
    assert_eq!(message_type, 0b01, "TP-MTI is not SMS-SUBMIT");

    let _reference = pdu.octet("TP-MR");

    // §9.1.2.5: the length counts digits; the type octet has a top bit of 1.
    let digit_count = pdu.octet("TP-DA length") as usize;
    assert!(
        pdu.flag("TP-DA type extension bit"),
        "TP-DA type bit 7 must be 1"
    );
    let type_of_number = pdu.read(3, "TP-DA type of number");
    let _numbering_plan = pdu.read(4, "TP-DA numbering plan");
    let mut digits = String::new();
    for _ in 0..digit_count.div_ceil(2) {
        let second = pdu.read(4, "TP-DA digits");
        let first = pdu.read(4, "TP-DA digits");
        for nibble in [first, second] {
            if nibble != 0xF && digits.len() < digit_count {
                digits.push(char::from_digit(nibble, 10).expect("a BCD digit"));
            }
        }
    }
    let destination = if type_of_number == 0b001 {
        format!("+{digits}")
    } else {
        digits
    };

    let _protocol = pdu.octet("TP-PID");
    let dcs = pdu.octet("TP-DCS");

    // §9.2.3.3: 00 none, 10 relative (one octet), 01 enhanced and 11 absolute (seven).
    let validity_relative = match validity_format {
        0b00 => None,
        0b10 => Some(pdu.octet("TP-VP")),
        _ => {
            pdu.octets(7, "TP-VP");
            None
        }
    };

    // TS 23.038 §4: which alphabet.
    let alphabet = match dcs >> 4 {
        0x0..=0x3 => (dcs >> 2) & 0b11,
        0xF => (dcs >> 2) & 0b01,
        other => panic!("TP-DCS group {other:#x} is not expected from the appliance"),
    };
    let length = pdu.octet("TP-UDL") as usize;
    let octet_count = if alphabet == 0 {
        (length * 7).div_ceil(8)
    } else {
        length
    };
    let user_data = pdu.octets(octet_count, "TP-UD");

    let mut concat = None;
    let mut header_octets = 0;
    if header_present {
        let header_length = user_data[0] as usize;
        header_octets = 1 + header_length;
        let mut element = 1;
        while element < header_octets {
            let (id, len) = (user_data[element], user_data[element + 1] as usize);
            let data = &user_data[element + 2..element + 2 + len];
            match (id, len) {
                (0x00, 3) => concat = Some((u16::from(data[0]), data[1], data[2])),
                (0x08, 4) => {
                    concat = Some((u16::from_be_bytes([data[0], data[1]]), data[2], data[3]))
                }
                _ => {}
            }
            element += 2 + len;
        }
        assert_eq!(element, header_octets, "UDH elements overrun the UDHL");
    }

    let text = match alphabet {
        0 => {
            // §9.2.3.24: text starts at the first septet boundary after the header.
            let header_septets = (header_octets * 8).div_ceil(7);
            gsm7_text(&septets(
                &user_data,
                header_septets * 7,
                length - header_septets,
            ))
        }
        2 => {
            let units: Vec<u16> = user_data[header_octets..]
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16(&units).expect("valid UTF-16 in UCS-2 user data")
        }
        _ => user_data[header_octets..]
            .iter()
            .map(|&b| char::from(b))
            .collect(),
    };

    SpecSubmit {
        status_report_requested,
        validity_relative,
        destination,
        dcs,
        concat,
        text,
    }
}

/// The whole text of a concatenated message, whatever order the parts came in.
pub fn join(parts: &[SpecSubmit]) -> String {
    let mut ordered: Vec<&SpecSubmit> = parts.iter().collect();
    ordered.sort_by_key(|part| part.concat.map_or(0, |(_, _, seq)| seq));
    ordered.iter().map(|part| part.text.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_alphabet_has_128_characters() {
        assert_eq!(DEFAULT_ALPHABET.chars().count(), 128);
        assert_eq!(DEFAULT_ALPHABET.chars().nth(0x41), Some('A'));
        assert_eq!(DEFAULT_ALPHABET.chars().nth(0x7F), Some('à'));
    }

    // TS 23.038 §6.1.2.1.1: "hellohello" packs to E8329BFD4697D9EC37.
    #[test]
    fn septets_follow_the_spec_example() {
        let octets = [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37];
        assert_eq!(gsm7_text(&septets(&octets, 0, 10)), "hellohello");
    }

    // faucamp/python-gsmmodem test/test_pdu.py, TestSmsPdu.test_decode, the
    // "www.diafaan.com" SMS-SUBMIT: status report requested, TP-VP 0xA9 (3 days).
    #[test]
    fn python_gsmmodem_diafaan_submit() {
        let s = decode_submit(
            "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
        );
        assert!(s.status_report_requested);
        assert_eq!(s.validity_relative, Some(0xA9));
        assert_eq!(s.destination, "+31628870634");
        assert_eq!(s.dcs, 0x00);
        assert_eq!(s.concat, None);
        assert_eq!(s.text, "www.diafaan.com");
    }

    // linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
    // test_create_pdu_ucs2_no_smsc: UCS-2, relative validity 0 (5 minutes).
    #[test]
    fn modemmanager_ucs2_submit() {
        let s = decode_submit(
            "0011000B915155551532F40008003A041404300020043704340440043004320441044204320443\
             043504420020043A043E0440043E043B044C002C0020043404350442043A04300021",
        );
        assert!(!s.status_report_requested);
        assert_eq!(s.validity_relative, Some(0));
        assert_eq!(s.destination, "+15555551234");
        assert_eq!(s.dcs, 0x08);
        assert_eq!(s.text, "Да здравствует король, детка!");
    }

    // linux-mobile-broadband/ModemManager src/tests/test-sms-part-3gpp.c,
    // test_pdu_stored_by_us: a national number, no validity period.
    #[test]
    fn modemmanager_stored_submit() {
        let s = decode_submit(
            "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D\
             4F60597D4F60597D4F60597D4F60",
        );
        assert!(s.status_report_requested);
        assert_eq!(s.validity_relative, None);
        assert_eq!(s.destination, "639337937");
        assert_eq!(s.text, "你好你好你好你好你好你好你好你好你");
    }

    // faucamp/python-gsmmodem test/test_pdu.py,
    // TestSmsPdu.test_encodeSmsSubmit_concatenated: three parts, reference 0.
    #[test]
    fn python_gsmmodem_concatenated_submit() {
        let hex = [
            "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7\
             CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E\
             9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C367771814\
             66A7E3F5B0AB4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD",
            "0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE6687\
             DBE337881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB3D2F\
             C7EB61BA8B584FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD37450DA0D\
             B2BFD975383D4C2F83EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA",
            "0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB\
             8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D67\
             81E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD\
             06A5C9A0F29C0E6287C56F79BD0D",
        ];
        // Out of order on purpose: join must sort by sequence number.
        let parts: Vec<SpecSubmit> = [2, 0, 1].iter().map(|&i| decode_submit(hex[i])).collect();
        for part in &parts {
            assert_eq!(part.destination, "+15125551234");
            assert_eq!(part.validity_relative, None);
            assert!(!part.status_report_requested);
            assert_eq!(part.concat.map(|(r, total, _)| (r, total)), Some((0, 3)));
        }
        assert_eq!(parts[1].concat, Some((0, 3, 1)));
        assert_eq!(parts[1].text.chars().count(), 153);
        assert_eq!(
            join(&parts),
            "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor \
             incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud \
             exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute \
             irure dolor in reprehenderit in voluptate velit esse cillum doloe eu fugiat nulla \
             pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia \
             deserunt mollit anim id est laborum"
        );
    }

    // A header with an element other than concatenation first, and a 16-bit
    // reference, built by hand from §9.2.3.24 (UDHL 10: IEI 0x0A len 2, IEI
    // 0x08 len 4 ref 0x1234 total 2 seq 2), with "Hi" in UCS-2 after it.
    #[test]
    fn other_elements_and_16_bit_references() {
        let s = decode_submit("0041000A81214365870900080F0A0A02AAAA08041234020200480069");
        assert_eq!(s.destination, "1234567890");
        assert_eq!(s.concat, Some((0x1234, 2, 2)));
        assert_eq!(s.text, "Hi");
    }
}
