//! TETRA short data over the PEI (EN 300 392-5): the `+CTSDSR` header a radio
//! announces an incoming SDS with, and the user data of AI service 12 (SDS
//! type 4, with the SDS-TL protocols of EN 300 392-2 clause 29) and AI
//! service 13 (pre-coded status).
//!
//! The appliance sends text (PID 0x82, 0x89, or 0x8A parts when the text is
//! longer than the radio takes), SDS-REPORTs for what it receives, and
//! Callouts (PID 0xC3). It reads text, reports, acknowledgements, status and
//! Callouts, and keeps any other PID as it came. The ETSI texts were not to
//! hand: the layouts come from public implementations, named where they are
//! used, and the research note `shared/research/tetra-pei.md` has the detail.
//!
//! Everything that reads treats its input as hostile: the hex and the header
//! come from a serial line and the PDU from whoever sent it, so every read is
//! bounds-checked and a short PDU is an error, never a panic.

use crate::hw::octets::{Reader, Truncated};
use crate::hw::udh::Concat;
use crate::hw::udh::{concat_of, IEI_CONCAT_8};

/// Simple text messaging: `PID | coding | text`, no SDS-TL header.
pub const PID_SIMPLE_TEXT: u8 = 0x02;
/// Text messaging over SDS-TL.
pub const PID_TEXT: u8 = 0x82;
/// Immediate text: the radio shows it at once.
pub const PID_IMMEDIATE_TEXT: u8 = 0x89;
/// Text with a user data header; the header carries the concatenation.
pub const PID_CONCAT_TEXT: u8 = 0x8A;
/// Callout (registered PID 195). The layout is only known from one open
/// implementation; see [`encode_callout`].
pub const PID_CALLOUT: u8 = 0xC3;

/// Simple immediate text: the same layout as [`PID_SIMPLE_TEXT`].
const PID_SIMPLE_IMMEDIATE_TEXT: u8 = 0x09;

/// PEI AI services (EN 300 392-5 `+CTSDS`/`+CTSDSR`).
const AI_SDS_TYPE_4: u8 = 12;
const AI_STATUS: u8 = 13;

/// SDS-TL message types, high nibble of octet 1.
const MT_TRANSFER: u8 = 0;
const MT_REPORT: u8 = 1;
const MT_ACK: u8 = 2;

// Octet 1 of an SDS-TRANSFER.
const DRR_RECEIVED: u8 = 0x04;
const DRR_CONSUMED: u8 = 0x08;
const SERVICE_SELECTION: u8 = 0x02;
const STORE_FORWARD: u8 = 0x01;

const TIMESTAMP_USED: u8 = 0x80;
const TIMESTAMP_OCTETS: usize = 3;

/// SDS type 4 carries 0 to 2047 bits (EN 300 392-5 AI service 12), so an
/// encoder never builds more than 255 octets whatever profile asks.
const SDS4_MAX_BITS: usize = 2047;
const MAX_PARTS: usize = 255;

/// PID, octet 1, message reference and the text coding octet.
const TEXT_HEADER: usize = 4;
/// UDH length, IE 00, IE length 3, reference, total, sequence.
const CONCAT_UDH: usize = 6;

/// The first Callout octets before the text in the layout freetetra calls
/// v1: PID, octet 1, reference, coding, function/number, severity (the
/// control octet after them is sometimes left out, see [`decode_callout`]).
const CALLOUT_MIN: usize = 6;

/// The text codings the encoder chooses between (EN 300 392-2 table 29.29).
/// Received text may name any of the 28 codes; see [`TextSds::coding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextCoding {
    /// ISO-8859-1, code 1: what every radio reads.
    Latin1,
    /// ISO-8859-15, code 13: Latin-1 with €, Š, š, Ž, ž, Œ, œ and Ÿ.
    Latin9,
    /// UTF-16 big-endian, code 26: everything else, emoji included.
    Utf16,
}

impl TextCoding {
    /// The text coding scheme code of table 29.29.
    pub fn code(self) -> u8 {
        match self {
            TextCoding::Latin1 => 1,
            TextCoding::Latin9 => 13,
            TextCoding::Utf16 => 26,
        }
    }

    /// The coding for a table 29.29 code, if it is one of the three.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(TextCoding::Latin1),
            13 => Some(TextCoding::Latin9),
            26 => Some(TextCoding::Utf16),
            _ => None,
        }
    }
}

/// The narrowest coding that carries `text`: Latin-1 when every character is
/// in ISO-8859-1, else Latin-9 when every one is in ISO-8859-15, else UTF-16.
/// Older radios read only the 8-bit codings, so UTF-16 is the last resort.
pub fn coding_for(text: &str) -> TextCoding {
    if text.chars().all(|c| latin1_octet(c).is_some()) {
        TextCoding::Latin1
    } else if text.chars().all(|c| latin9_octet(c).is_some()) {
        TextCoding::Latin9
    } else {
        TextCoding::Utf16
    }
}

/// The delivery report request of an SDS-TRANSFER (octet 1, bits 3..2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportRequest {
    /// Report when the radio has received the message (bit 2).
    pub received: bool,
    /// Report when the user has read it (bit 3).
    pub consumed: bool,
}

impl ReportRequest {
    fn bits(self) -> u8 {
        let mut bits = 0;
        if self.received {
            bits |= DRR_RECEIVED;
        }
        if self.consumed {
            bits |= DRR_CONSUMED;
        }
        bits
    }

    fn from_octet(octet: u8) -> Self {
        ReportRequest {
            received: octet & DRR_RECEIVED != 0,
            consumed: octet & DRR_CONSUMED != 0,
        }
    }
}

/// A received text SDS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSds {
    /// 0x02 or 0x09 (simple), 0x82, 0x89 or 0x8A.
    pub pid: u8,
    /// The SDS-TL message reference a report must echo; 0 for simple text,
    /// which has no SDS-TL header and cannot be reported on.
    pub reference: u8,
    /// What the sender wants reported back, with [`encode_report`].
    pub report: ReportRequest,
    /// Bit 1 of octet 1: set when the sender allows group delivery.
    pub group_service: bool,
    /// The table 29.29 code as received. Codes other than 1, 13 and 26 are
    /// read as Latin-1, which gets the ASCII part of most of them right.
    pub coding: u8,
    /// The text, BOS decoration removed (see [`strip_bos_decoration`]).
    pub text: String,
    pub concat: Option<Concat>,
}

/// What a Callout asks of the radio (octet 4, high nibble, in the v1 layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CalloutFunction {
    Alert = 1,
    Test = 2,
    Info = 3,
    Clear = 4,
    Availability = 5,
}

impl CalloutFunction {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(CalloutFunction::Alert),
            2 => Some(CalloutFunction::Test),
            3 => Some(CalloutFunction::Info),
            4 => Some(CalloutFunction::Clear),
            5 => Some(CalloutFunction::Availability),
            _ => None,
        }
    }
}

/// A Callout in the "v1" layout of dirkforpresident/freetetra
/// (`internal/service/sds_codec.go`); research note §5. Unverified against a
/// vendor specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callout {
    /// 0 from the dispatcher, 1 a report, 2 a response.
    pub message_type: u8,
    pub reference: u8,
    pub report: ReportRequest,
    pub function: CalloutFunction,
    /// The callout number, 0..=15. Only a received PDU with freetetra's own
    /// extension layout can carry a larger one.
    pub number: u8,
    /// 1..=15 from a dispatcher; radios have been seen answering with 0.
    pub severity: u8,
    /// The "end callout" flag.
    pub end: bool,
    pub text: String,
}

/// Something a radio handed over with `+CTSDSR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sds {
    Text(TextSds),
    /// An SDS-REPORT: `status` is a table 29.16 delivery status, see
    /// [`delivery_status_meaning`]; `reference` is the one the appliance sent.
    Report {
        pid: u8,
        status: u8,
        reference: u8,
    },
    /// An SDS-SHORT-REPORT: kind 0 protocol or coding not supported, 1
    /// memory full, 2 received, 3 consumed. The layout is unverified (§3).
    ShortReport {
        kind: u8,
        reference: u8,
    },
    /// An SDS-ACK, the answer to a report that asked for one.
    Ack {
        pid: u8,
        status: u8,
        reference: u8,
    },
    Callout(Callout),
    /// A pre-coded status (AI service 13); its meaning is the network's.
    Status(u16),
    /// Any other PID (LIP 0x0A, 0x8C concatenated SDS, vendor PIDs, Callouts
    /// in a layout this module does not read): the octets after the PID.
    Other {
        pid: u8,
        data: Vec<u8>,
    },
}

/// What a delivery status (EN 300 392-2 table 29.16) means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportMeaning {
    Received,
    /// The user has read it: the nearest thing to an acknowledgement.
    Consumed,
    /// The network is still trying.
    Pending,
    /// Nothing more will come; the text says why.
    Failed(&'static str),
}

/// Why an SDS could not be read or built; the text is for the person
/// reading the log or the failed delivery.
#[derive(Debug, thiserror::Error)]
pub enum SdsError {
    #[error("the SDS carries no data")]
    Empty,
    #[error("the SDS data is not hex: {0:?} at character {1} is not a hex digit")]
    NotHex(char, usize),
    #[error("the SDS ends early at octet {at}, in the {field}")]
    Truncated { at: usize, field: &'static str },
    #[error("AI service {0} is not read here (12 is SDS type 4, 13 is status)")]
    UnsupportedService(u8),
    #[error("SDS-TL message type {kind} under protocol {pid:#04X} is not a transfer, report or acknowledgement")]
    UnknownMessageType { pid: u8, kind: u8 },
    #[error("the store-and-forward address type {0} is reserved, so the rest of the SDS cannot be found")]
    ReservedForwardAddress(u8),
    #[error("the text needs more than 255 parts, the most a concatenated SDS can have")]
    TooManyParts,
    #[error("a PDU of at most {0} bits cannot carry this text")]
    MaxBitsTooSmall(usize),
    #[error("the callout cannot be sent: {0}")]
    BadCallout(&'static str),
    #[error("the callout is {0} bits long; an SDS carries at most 2047")]
    TooLong(usize),
    #[error("not a +CTSDSR line: {0:?}")]
    NotCtsdsr(String),
    #[error("the +CTSDSR line has {0} fields; 3, 4, 6, 7 or 8 were expected")]
    FieldCount(usize),
    #[error("the +CTSDSR {field} is not valid: {value:?}")]
    BadField { field: &'static str, value: String },
}

impl From<Truncated> for SdsError {
    fn from(t: Truncated) -> Self {
        SdsError::Truncated {
            at: t.at,
            field: t.field,
        }
    }
}

// ------------------------------------------------------------------ text --

/// ISO-8859-15 differs from ISO-8859-1 in these eight places.
const LATIN9_CHANGES: [(u8, char); 8] = [
    (0xA4, '€'),
    (0xA6, 'Š'),
    (0xA8, 'š'),
    (0xB4, 'Ž'),
    (0xB8, 'ž'),
    (0xBC, 'Œ'),
    (0xBD, 'œ'),
    (0xBE, 'Ÿ'),
];

fn latin1_octet(c: char) -> Option<u8> {
    u8::try_from(u32::from(c)).ok()
}

fn latin9_octet(c: char) -> Option<u8> {
    if let Some((octet, _)) = LATIN9_CHANGES.iter().find(|(_, changed)| *changed == c) {
        return Some(*octet);
    }
    let octet = latin1_octet(c)?;
    // The Latin-1 characters Latin-9 replaced have no place in it.
    (!LATIN9_CHANGES.iter().any(|(o, _)| *o == octet)).then_some(octet)
}

fn latin9_char(octet: u8) -> char {
    LATIN9_CHANGES
        .iter()
        .find(|(o, _)| *o == octet)
        .map_or(char::from(octet), |(_, c)| *c)
}

/// Appends one character in `coding`. The character is one unit for the
/// splitter, so a surrogate pair always lands in one part. `coding_for`
/// guarantees the fit; '?' only guards against a caller mixing them up.
fn push_char(c: char, coding: TextCoding, out: &mut Vec<u8>) {
    match coding {
        TextCoding::Latin1 => out.push(latin1_octet(c).unwrap_or(b'?')),
        TextCoding::Latin9 => out.push(latin9_octet(c).unwrap_or(b'?')),
        TextCoding::Utf16 => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.extend(unit.to_be_bytes());
            }
        }
    }
}

fn utf16be_to_string(octets: &[u8]) -> String {
    // A trailing odd octet cannot be a code unit and is dropped.
    let units = octets.chunks_exact(2).map(|pair| match pair {
        [high, low] => u16::from_be_bytes([*high, *low]),
        _ => 0,
    });
    char::decode_utf16(units)
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Text in a table 29.29 coding. Codings without a table here fall back to
/// Latin-1, as ftl/tetra-pei does: the ASCII half is right for nearly all of
/// them, and a garbled accent beats a lost alert.
fn decode_text(coding: u8, octets: &[u8]) -> String {
    match TextCoding::from_code(coding) {
        Some(TextCoding::Utf16) => utf16be_to_string(octets),
        Some(TextCoding::Latin9) => octets.iter().map(|&o| latin9_char(o)).collect(),
        Some(TextCoding::Latin1) | None => octets.iter().map(|&o| char::from(o)).collect(),
    }
}

/// Removes what German BOS networks wrap text in (ftl/tetra-pei
/// `sds/text.go`): a leading OPTA, letters and spaces then `#` and 16 digits,
/// and a trailing ITSI, 16 digits after `\x1a\x00` or `\r\r`. Text without
/// them comes back unchanged.
pub fn strip_bos_decoration(text: &str) -> &str {
    strip_trailing_itsi(strip_leading_opta(text))
}

fn strip_leading_opta(text: &str) -> &str {
    let Some(hash) = text.find('#') else {
        return text;
    };
    let name = text.get(..hash).unwrap_or_default();
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic() || c == ' ');
    let digits = text.get(hash + 1..hash + 17).unwrap_or_default();
    let is_number = digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit());
    if is_name && is_number {
        text.get(hash + 17..).unwrap_or(text)
    } else {
        text
    }
}

fn strip_trailing_itsi(text: &str) -> &str {
    let bytes = text.as_bytes();
    let Some(start) = bytes.len().checked_sub(18) else {
        return text;
    };
    match bytes.get(start..) {
        Some([b'\x1a', b'\0', digits @ ..] | [b'\r', b'\r', digits @ ..])
            if digits.iter().all(u8::is_ascii_digit) =>
        {
            // `start` holds an ASCII octet, so it is a character boundary.
            text.get(..start).unwrap_or(text)
        }
        _ => text,
    }
}

// --------------------------------------------------------------- reading --

/// Hex as radios send it: either case, with stray whitespace, and with an odd
/// digit count (Sepura sends whole nibbles, Wodie/tetra_4_pttlink
/// `TetraLib.pm`), which is padded with a 0 nibble.
fn parse_hex(hex: &str) -> Result<Vec<u8>, SdsError> {
    let mut nibbles = Vec::with_capacity(hex.len());
    for (i, c) in hex.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        let value = c.to_digit(16).ok_or(SdsError::NotHex(c, i + 1))?;
        nibbles.push(value as u8);
    }
    if nibbles.len() % 2 != 0 {
        nibbles.push(0);
    }
    Ok(nibbles
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => (high << 4) | low,
            _ => 0,
        })
        .collect())
}

/// Decodes the user data of a `+CTSDSR` (`ai_service` and `bits` from its
/// header, `hex` the line after it, or [`crate::hw::tetra::pei::SdsHeader::inline_hex`]).
///
/// Octets past `bits` are dropped, as ftl/tetra-pei does; `bits` 0 keeps
/// them all, since a header that says nothing should not lose the message.
pub fn decode(ai_service: u8, bits: usize, hex: &str) -> Result<Sds, SdsError> {
    let mut octets = parse_hex(hex)?;
    if bits > 0 {
        octets.truncate(bits.div_ceil(8));
    }
    if octets.is_empty() {
        return Err(SdsError::Empty);
    }
    match ai_service {
        AI_STATUS => decode_status(&octets),
        AI_SDS_TYPE_4 => decode_sds4(&octets),
        other => Err(SdsError::UnsupportedService(other)),
    }
}

/// A leading octet 0x78..=0x7F marks an SDS-SHORT-REPORT. ftl/tetra-pei
/// encodes `0x7C | kind` (the first six bits 011111) but its decoder test
/// expects `7ACA` to read as one, so the note's wider 0x78..=0x7F is taken
/// (§3, unverified). The statuses this could swallow, 0x7800..=0x7BFF, are
/// far from the BOS range (0x8002 and up).
fn short_report(octets: &[u8]) -> Option<Sds> {
    match octets {
        [first @ 0x78..=0x7F, reference] => Some(Sds::ShortReport {
            kind: first & 0x03,
            reference: *reference,
        }),
        _ => None,
    }
}

fn decode_status(octets: &[u8]) -> Result<Sds, SdsError> {
    let value = match octets {
        [high, low, ..] => u16::from_be_bytes([*high, *low]),
        _ => {
            return Err(SdsError::Truncated {
                at: octets.len(),
                field: "status value",
            })
        }
    };
    Ok(short_report(octets.get(..2).unwrap_or_default()).unwrap_or(Sds::Status(value)))
}

fn decode_sds4(octets: &[u8]) -> Result<Sds, SdsError> {
    let Some((&pid, data)) = octets.split_first() else {
        return Err(SdsError::Empty);
    };
    match pid {
        PID_SIMPLE_TEXT | PID_SIMPLE_IMMEDIATE_TEXT => decode_simple_text(pid, data),
        // The note reads the short report as a status-sized value on either
        // service; on service 12 it must be exactly that long.
        0x78..=0x7F if octets.len() == 2 => short_report(octets).ok_or(SdsError::Empty),
        0x80..=0xFF => decode_sds_tl(pid, octets),
        _ => Ok(Sds::Other {
            pid,
            data: data.to_vec(),
        }),
    }
}

fn decode_simple_text(pid: u8, data: &[u8]) -> Result<Sds, SdsError> {
    let mut r = Reader::new(data);
    let coding = r.octet("text coding")? & 0x7F;
    let text = decode_text(coding, r.rest());
    Ok(Sds::Text(TextSds {
        pid,
        reference: 0,
        report: ReportRequest::default(),
        group_service: false,
        coding,
        text: strip_bos_decoration(&text).to_owned(),
        concat: None,
    }))
}

/// SDS-TL PDUs (PID 0x80 and up), octet 1 holding the message type.
fn decode_sds_tl(pid: u8, octets: &[u8]) -> Result<Sds, SdsError> {
    let kind = octets.get(1).map(|o| o >> 4);
    // freetetra sends Callout reports and responses as whole Callouts with
    // message type 1 or 2, so only a PDU too short to be a Callout is read
    // as a plain SDS-REPORT or SDS-ACK under PID 0xC3.
    if pid == PID_CALLOUT && octets.len() >= CALLOUT_MIN {
        return decode_callout(octets);
    }
    match kind {
        Some(MT_REPORT) => decode_report(octets, false),
        Some(MT_ACK) => decode_report(octets, true),
        _ => match pid {
            PID_TEXT | PID_IMMEDIATE_TEXT | PID_CONCAT_TEXT => decode_text_transfer(pid, octets),
            PID_CALLOUT => Err(SdsError::Truncated {
                at: octets.len(),
                field: "callout header",
            }),
            _ => Ok(Sds::Other {
                pid,
                data: octets.get(1..).unwrap_or_default().to_vec(),
            }),
        },
    }
}

/// SDS-REPORT `PID | 1<<4 … | status | ref | …` and SDS-ACK
/// `PID | 2<<4 | status | ref`; anything after the reference (store and
/// forward control, user data) is not needed to match the report.
fn decode_report(octets: &[u8], ack: bool) -> Result<Sds, SdsError> {
    match octets {
        [pid, _, status, reference, ..] => Ok(if ack {
            Sds::Ack {
                pid: *pid,
                status: *status,
                reference: *reference,
            }
        } else {
            Sds::Report {
                pid: *pid,
                status: *status,
                reference: *reference,
            }
        }),
        _ => Err(SdsError::Truncated {
            at: octets.len(),
            field: if ack { "SDS-ACK" } else { "SDS-REPORT" },
        }),
    }
}

/// Skips the store-and-forward control of an SDS-TRANSFER: validity period
/// and address type in one octet, then the forward address, whose length
/// the type gives (EN 300 392-2 clause 29.4.3). ftl/tetra-pei masks the type
/// with `& 3`; it is three bits, and type 7 means no address.
fn skip_store_forward(r: &mut Reader) -> Result<(), SdsError> {
    let control = r.octet("store and forward control")?;
    let len = match control & 0x07 {
        0 => 1, // SNA
        1 => 3, // SSI
        2 => 6, // TSI: SSI and the 24-bit address extension
        3 => usize::from(r.octet("external subscriber number length")?).div_ceil(2),
        7 => 0,
        reserved => return Err(SdsError::ReservedForwardAddress(reserved)),
    };
    r.take(len, "forward address")?;
    Ok(())
}

fn decode_text_transfer(pid: u8, octets: &[u8]) -> Result<Sds, SdsError> {
    let mut r = Reader::new(octets);
    r.octet("protocol identifier")?;
    let header = r.octet("SDS-TL header")?;
    if header >> 4 != MT_TRANSFER {
        return Err(SdsError::UnknownMessageType {
            pid,
            kind: header >> 4,
        });
    }
    let reference = r.octet("message reference")?;
    if header & STORE_FORWARD != 0 {
        skip_store_forward(&mut r)?;
    }
    let coding_octet = r.octet("text coding")?;
    if coding_octet & TIMESTAMP_USED != 0 {
        // The sender's clock, which the appliance has no use for.
        r.take(TIMESTAMP_OCTETS, "timestamp")?;
    }
    let concat = if pid == PID_CONCAT_TEXT {
        let len = usize::from(r.octet("user data header length")?);
        concat_of(r.take(len, "user data header")?)
    } else {
        None
    };
    let coding = coding_octet & 0x7F;
    let text = decode_text(coding, r.rest());
    Ok(Sds::Text(TextSds {
        pid,
        reference,
        report: ReportRequest::from_octet(header),
        group_service: header & SERVICE_SELECTION != 0,
        coding,
        text: strip_bos_decoration(&text).to_owned(),
        concat,
    }))
}

/// A Callout in freetetra's layouts. The SDS-TL store bit of octet 1 is
/// ignored: freetetra sets it without adding store-and-forward octets.
///
/// A PDU shaped like ftl/tetra-pei's reading of TIP Part 21 (TTR001-21),
/// which the German BOS sample in its `sds/stack_test.go` follows, comes back
/// as [`Sds::Other`]: read as v1 it would be an Alert with a made-up number
/// and garbage text. [`tip_callout_text`] gets its text out.
fn decode_callout(octets: &[u8]) -> Result<Sds, SdsError> {
    let data = octets.get(1..).unwrap_or_default();
    if tip_text_offset(data).is_some() {
        return Ok(Sds::Other {
            pid: PID_CALLOUT,
            data: data.to_vec(),
        });
    }
    let [_, header, reference, coding_octet, function_number, fifth, rest @ ..] = octets else {
        return Err(SdsError::Truncated {
            at: octets.len(),
            field: "callout header",
        });
    };
    let function_code = function_number >> 4;
    let (number, severity, control, text) = if coding_octet & 0x80 != 0 {
        // freetetra's "v2" (its own extension): a whole octet for the
        // number, then the severity octet and the control octet.
        match rest {
            [flags, control, text @ ..] => (*fifth, flags & 0x0F, *control, text),
            _ => {
                return Err(SdsError::Truncated {
                    at: octets.len(),
                    field: "callout control",
                })
            }
        }
    } else {
        // freetetra saw radios put the text straight after octet 5. The
        // control octet uses bits 7..5 only, so low bits mean text.
        let (control, text) = match rest {
            [control, text @ ..] if control & 0x1F == 0 => (*control, text),
            _ => (0, rest),
        };
        (function_number & 0x0F, fifth & 0x0F, control, text)
    };
    let Some(function) = CalloutFunction::from_code(function_code) else {
        return Ok(Sds::Other {
            pid: PID_CALLOUT,
            data: data.to_vec(),
        });
    };
    Ok(Sds::Callout(Callout {
        message_type: header >> 4,
        reference: *reference,
        report: ReportRequest::from_octet(*header),
        function,
        number,
        severity,
        end: control & 0x40 != 0,
        text: decode_text(coding_octet & 0x7F, text),
    }))
}

/// Where the text starts in a TIP-style Callout SDU, if `sdu` has that shape
/// (ftl/tetra-pei `sds/sds.go` `ParseCalloutSDU`): an element 0x0D holding
/// the callout number and priority, a two-octet sender sub-address, a count
/// of receiver sub-address octets, those octets, and a 0xFF separator.
fn tip_sdu_text(sdu: &[u8], need_element: bool) -> Option<usize> {
    let mut pos = 0;
    if sdu.first() == Some(&0x0D) {
        // The high nibble of the next octet counts the number's octets; the
        // priority nibble follows them.
        let len = usize::from(sdu.get(1)? >> 4);
        pos = 2 + len;
    } else if need_element {
        return None;
    }
    let count = usize::from(*sdu.get(pos + 2)?);
    let separator = pos + 3 + count;
    (sdu.get(separator) == Some(&0xFF)).then_some(separator + 1)
}

/// The text offset in `data` (a Callout after its PID) if it is TIP-shaped.
/// The one sample fits two readings: the 0x0D element straight after the
/// PID (tetra-pei), or an SDS-TL header whose store-and-forward control
/// octet precedes the sub-addresses. The v1 layout matches neither, since
/// its fourth octet is the text coding 0x01, not 0x0D.
fn tip_text_offset(data: &[u8]) -> Option<usize> {
    let direct = tip_sdu_text(data, true);
    let after_header = || tip_sdu_text(data.get(2..)?, true).map(|at| at + 2);
    let after_store_forward = || {
        let header = *data.first()?;
        if header & STORE_FORWARD == 0 {
            return None;
        }
        let mut r = Reader::new(data.get(2..)?);
        skip_store_forward(&mut r).ok()?;
        let start = 2 + r.position();
        tip_sdu_text(data.get(start..)?, false).map(|at| at + start)
    };
    direct.or_else(after_header).or_else(after_store_forward)
}

/// The Latin-1 text of a TIP-style Callout that [`decode`] returned as
/// `Sds::Other { pid: PID_CALLOUT, data }`, or the payload of a reassembled
/// 0x8C message whose payload PID is 0xC3 (without that PID). The layout is
/// inferred from one implementation and one sample; the number, priority
/// and sub-addresses are not read because their positions are uncertain.
pub fn tip_callout_text(data: &[u8]) -> Option<String> {
    let at = tip_text_offset(data)?;
    Some(decode_text(1, data.get(at..)?))
}

// ---------------------------------------------------------------- meaning --

/// What a table 29.16 delivery status means for the message it reports on
/// (constants from ftl/tetra-pei `sds/sds.go`).
pub fn delivery_status_meaning(code: u8) -> ReportMeaning {
    use ReportMeaning::{Consumed, Failed, Pending, Received};
    match code {
        // 0x05 is "sent to group, acknowledgement prevented": as far as
        // anyone will ever confirm.
        0x00 | 0x01 | 0x04 | 0x05 | 0x06 => Received,
        0x02 | 0x03 => Consumed,
        // The rest of the success range has no name yet; it is still success.
        0x07..=0x1F => Received,
        0x20..=0x3F => Pending,
        0x40 => Failed("the network is overloaded"),
        0x41 => Failed("the service is permanently unavailable"),
        0x42 => Failed("the service is temporarily unavailable"),
        0x43 => Failed("the sender is not authorised for short data"),
        0x44 => Failed("the radio is not authorised for short data"),
        0x45 => Failed("the destination, gateway or service centre address is unknown"),
        0x46 => Failed("the forward address is unknown"),
        0x47 => Failed("a group address was used with individual service"),
        0x48 => Failed("the validity period expired before the radio received it"),
        0x49 => Failed("the validity period expired before it was read"),
        0x4A => Failed("delivery failed"),
        0x4B => Failed("the radio is not registered"),
        0x4C => Failed("the radio's message queue is full"),
        0x4D => Failed("the message is too long"),
        0x4E => Failed("the radio does not support SDS-TL"),
        0x4F => Failed("the destination host is not connected"),
        0x50 => Failed("the radio does not support this protocol"),
        0x51 => Failed("the radio does not support this text coding"),
        0x52 => Failed("the radio's memory is full and the message was discarded"),
        0x53 => Failed("the radio is not accepting short data"),
        0x54 => Failed("the concatenated message is too long"),
        0x56 => Failed("the destination address is prohibited"),
        0x57 => Failed("the message cannot be routed to the external network"),
        0x58 => Failed("the external subscriber number is unknown"),
        0x59 => Failed("the report was acknowledged negatively"),
        0x5A => Failed("the radio is out of reach"),
        0x5B => Failed("the text could not be distributed"),
        0x5C => Failed("an information element was corrupt"),
        0x5D => Failed("not all parts of the message arrived"),
        0x5E | 0x5F => Failed("the radio is busy with another service"),
        0x60 => Failed("the radio's memory is full"),
        0x61..=0x63 => Failed("the radio sent flow control, not a delivery result"),
        0x80 | 0x81 => Failed("the radio sent end-to-end flow control, not a delivery result"),
        _ => Failed("the network reported a failure this version does not know"),
    }
}

// --------------------------------------------------------------- writing --

/// Uppercase hex, as `AT+CMGS` user data is usually written.
pub fn to_hex(pdu: &[u8]) -> String {
    pdu.iter()
        .flat_map(|octet| [octet >> 4, octet & 0x0F])
        .filter_map(|nibble| char::from_digit(u32::from(nibble), 16))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The SDS-TL message reference after `reference`. The note (§3) gives the
/// range as 1..=255, so 0 is skipped.
pub fn next_reference(reference: u8) -> u8 {
    match reference.wrapping_add(1) {
        0 => 1,
        next => next,
    }
}

/// Cuts the encoded text into parts of at most `capacity` octets without
/// cutting a character, so a UTF-16 surrogate pair stays in one part.
fn split_text(text: &str, coding: TextCoding, capacity: usize) -> Result<Vec<Vec<u8>>, SdsError> {
    let mut parts = Vec::new();
    let mut current = Vec::with_capacity(capacity);
    let mut unit = Vec::with_capacity(4);
    for c in text.chars() {
        unit.clear();
        push_char(c, coding, &mut unit);
        if unit.len() > capacity {
            return Err(SdsError::MaxBitsTooSmall(capacity * 8));
        }
        if current.len() + unit.len() > capacity {
            parts.push(std::mem::replace(
                &mut current,
                Vec::with_capacity(capacity),
            ));
            // Stop early: a huge text should not be encoded only to fail.
            if parts.len() >= MAX_PARTS {
                return Err(SdsError::TooManyParts);
            }
        }
        current.extend_from_slice(&unit);
    }
    parts.push(current);
    Ok(parts)
}

/// Builds the SDS-TRANSFER PDUs for `text`, in sending order, for
/// `AT+CMGS` on AI service 12.
///
/// Text that fits `max_bits` (the profile's maximum PDU length, e.g. 668;
/// never more than SDS type 4's 2047) goes as one 0x82, or 0x89 when
/// `immediate`. Longer text goes as 0x8A parts with a user data header
/// (IE 00, 8-bit reference `reference`), as ftl/tetra-cli does; 0x8A has no
/// immediate form, so `immediate` is lost then. Each PDU has its own SDS-TL
/// message reference, `reference`, then [`next_reference`] onwards (0 is
/// used as 1), and asks for `report`: every part is reported separately.
/// No timestamp is sent: the radio's own clock is better than none.
pub fn encode_text(
    text: &str,
    reference: u8,
    report: ReportRequest,
    group_service: bool,
    immediate: bool,
    max_bits: usize,
) -> Result<Vec<Vec<u8>>, SdsError> {
    let coding = coding_for(text);
    let max_bits = max_bits.min(SDS4_MAX_BITS);
    let max_octets = max_bits / 8;
    let mut octet_1 = (MT_TRANSFER << 4) | report.bits();
    if group_service {
        octet_1 |= SERVICE_SELECTION;
    }
    let first_reference = if reference == 0 { 1 } else { reference };

    let mut body = Vec::with_capacity(text.len() * 2);
    for c in text.chars() {
        push_char(c, coding, &mut body);
    }
    if TEXT_HEADER + body.len() <= max_octets {
        let pid = if immediate {
            PID_IMMEDIATE_TEXT
        } else {
            PID_TEXT
        };
        let mut pdu = vec![pid, octet_1, first_reference, coding.code()];
        pdu.extend(body);
        return Ok(vec![pdu]);
    }
    if text.is_empty() {
        return Err(SdsError::MaxBitsTooSmall(max_bits));
    }

    let capacity = max_octets.saturating_sub(TEXT_HEADER + CONCAT_UDH);
    if capacity == 0 {
        return Err(SdsError::MaxBitsTooSmall(max_bits));
    }
    let pieces = split_text(text, coding, capacity).map_err(|e| match e {
        SdsError::MaxBitsTooSmall(_) => SdsError::MaxBitsTooSmall(max_bits),
        other => other,
    })?;
    let total = u8::try_from(pieces.len()).map_err(|_| SdsError::TooManyParts)?;
    let mut tl_reference = first_reference;
    let mut pdus = Vec::with_capacity(pieces.len());
    for (seq, piece) in (1..=total).zip(pieces) {
        let mut pdu = Vec::with_capacity(TEXT_HEADER + CONCAT_UDH + piece.len());
        pdu.extend([PID_CONCAT_TEXT, octet_1, tl_reference, coding.code()]);
        pdu.extend([0x05, IEI_CONCAT_8, 0x03, reference, total, seq]);
        pdu.extend(piece);
        pdus.push(pdu);
        tl_reference = next_reference(tl_reference);
    }
    Ok(pdus)
}

/// An SDS-REPORT answering a transfer: `PID | 0x10 | status | reference`,
/// no acknowledgement asked and no store-and-forward (ftl/tetra-pei
/// `stack.go`, svxlink `createCfmSDS`). Status 0x00 received, 0x02 consumed.
pub fn encode_report(pid: u8, delivery_status: u8, reference: u8) -> Vec<u8> {
    vec![pid, MT_REPORT << 4, delivery_status, reference]
}

/// Builds a Callout in the "v1" layout of dirkforpresident/freetetra
/// `internal/service/sds_codec.go` (research note §5), the one it says
/// interoperates; unverified against a radio or a vendor specification:
///
/// ```text
/// 0  0xC3
/// 1  message type[7:4] · DRR[3:2] · service selection[1] = 0 · storage[0] = 0
/// 2  SDS-TL message reference
/// 3  extension[7] = 0 · text coding[6:0] = 0x01 Latin-1
/// 4  function[7:4] · callout number[3:0]
/// 5  group control[7:6] = 0 · timestamp[5] = 0 · user receipt[4] = 0 · severity[3:0]
/// 6  text is status[7] = 0 · end callout[6] · PTT not allowed[5] = 0
/// 7… text
/// ```
///
/// The note's hand-built example `C300070115030042332048617570747374722035`
/// matches this table octet for octet: C3 PID; 00 transfer, no report; 07
/// reference; 01 Latin-1; 15 alert, callout 5; 03 severity 3; 00 no flags;
/// then "B3 Hauptstr 5", 20 octets, the 160 bits of its `AT+CMGS`.
///
/// Characters outside Latin-1 go out as '?': the layout has only been seen
/// with Latin-1, and an alert with a '?' beats no alert. Severity must be
/// 1..=15 from a dispatcher (message type 0); reports and responses may use 0.
pub fn encode_callout(c: &Callout) -> Result<Vec<u8>, SdsError> {
    if c.message_type > 0x0F {
        return Err(SdsError::BadCallout("the message type must be 0 to 15"));
    }
    if c.number > 0x0F {
        return Err(SdsError::BadCallout("the callout number must be 0 to 15"));
    }
    if c.severity > 0x0F || (c.message_type == 0 && c.severity == 0) {
        return Err(SdsError::BadCallout("the severity must be 1 to 15"));
    }
    let mut pdu = vec![
        PID_CALLOUT,
        (c.message_type << 4) | c.report.bits(),
        c.reference,
        TextCoding::Latin1.code(),
        (c.function.code() << 4) | c.number,
        c.severity,
        if c.end { 0x40 } else { 0x00 },
    ];
    pdu.extend(c.text.chars().map(|ch| latin1_octet(ch).unwrap_or(b'?')));
    let bits = pdu.len() * 8;
    if bits > SDS4_MAX_BITS {
        return Err(SdsError::TooLong(bits));
    }
    Ok(pdu)
}

#[cfg(test)]
mod tests;
