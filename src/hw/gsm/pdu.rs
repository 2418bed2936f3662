//! SMS in PDU mode (3GPP TS 27.005 §3): the TPDUs of TS 23.040 §9.2 as the
//! modem gives and takes them, hex-encoded behind an SMSC address field.
//!
//! The appliance side encodes SMS-SUBMIT (split into concatenated parts when
//! the text is long) and decodes SMS-DELIVER and SMS-STATUS-REPORT. The modem
//! simulator needs the reverse, so the opposite directions live here too:
//! one set of field codecs serves both and they cannot drift apart.
//!
//! Everything that reads a PDU treats it as hostile: lengths come from the
//! PDU itself, so every read is bounds-checked and a short PDU is an error.

use super::gsm7;
use crate::hw::octets::{Reader, Truncated};
use crate::hw::udh::Concat;
use crate::hw::udh::{concat_of, IEI_CONCAT_8};

/// How the user data is coded (TS 23.038 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// The GSM 7-bit default alphabet with its extension table.
    Gsm7,
    /// UCS-2, read and written as UTF-16BE so that emoji survive.
    Ucs2,
    /// 8-bit data. Only the decoders produce it: the encoders never send it,
    /// and received 8-bit text is read as Latin-1 as a best effort.
    EightBit,
}

/// Options for [`encode_submit`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitOptions {
    /// Ask the network for an SMS-STATUS-REPORT (TP-SRR).
    pub status_report: bool,
    /// How long the network keeps trying, rounded up to the next period the
    /// relative format can express (TS 23.040 §9.2.3.12.1); None leaves it to
    /// the network.
    pub validity_minutes: Option<u32>,
    /// The reference that ties the parts of one long message together; the
    /// caller varies it between messages to the same recipient.
    pub concat_ref: u8,
}

/// One SMS-SUBMIT ready for `AT+CMGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPart {
    /// Uppercase hex, starting with "00" so the modem uses the SIM's SMSC.
    pub hex: String,
    /// Octets after the SMSC field: the `<length>` of `AT+CMGS=<length>`.
    pub tpdu_len: usize,
}

/// A received SMS-DELIVER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// "+<digits>" for an international number, the digits otherwise, or the
    /// text of an alphanumeric sender.
    pub from: String,
    pub text: String,
    pub coding: Coding,
    pub concat: Option<Concat>,
    /// The service centre's time stamp as "YYYY-MM-DDTHH:MM:SS+HH:MM", or
    /// None when its digits are not valid BCD.
    pub timestamp: Option<String>,
}

/// A received SMS-STATUS-REPORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The TP-MR of the SMS-SUBMIT it reports on (the value `+CMGS:` gave).
    pub reference: u8,
    pub recipient: String,
    /// TP-ST; see [`status_meaning`].
    pub status: u8,
}

/// What the modem received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Deliver(Deliver),
    StatusReport(StatusReport),
}

/// An SMS-SUBMIT as a modem simulator receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub reference: u8,
    pub to: String,
    pub status_report: bool,
    pub text: String,
    pub concat: Option<Concat>,
}

/// What a TP-ST value means to the person waiting for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Delivered,
    /// The network is still trying.
    Pending,
    /// The network has stopped trying; the text says why.
    Failed(&'static str),
}

/// Why a PDU could not be read, or a message could not be encoded; the text
/// is meant for the person reading the log or the failed delivery.
#[derive(Debug, thiserror::Error)]
pub enum PduError {
    #[error("the PDU is empty")]
    Empty,
    #[error("the PDU is not hex: {0:?} at character {1} is not a hex digit")]
    NotHex(char, usize),
    #[error("the PDU has an odd number of hex digits ({0}), so it cannot be whole octets")]
    OddLength(usize),
    #[error("the PDU ends early at octet {at}, in the {field}")]
    Truncated { at: usize, field: &'static str },
    #[error("the user data header does not fit: it claims {header} octets and the user data has {available}")]
    BadHeader { header: usize, available: usize },
    #[error("this PDU holds {found}, where {wanted} was expected")]
    WrongType {
        found: &'static str,
        wanted: &'static str,
    },
    #[error("cannot send to {number:?}: {reason}")]
    BadNumber {
        number: String,
        reason: &'static str,
    },
    #[error("the message needs {0} parts but a concatenated SMS can have at most 255")]
    TooLong(usize),
}

impl From<Truncated> for PduError {
    fn from(t: Truncated) -> Self {
        PduError::Truncated {
            at: t.at,
            field: t.field,
        }
    }
}

const MAX_DIGITS: usize = 20;
const MAX_PARTS: usize = 255;
const ALPHANUMERIC_MAX_SEPTETS: usize = 11;

/// Single-part and per-part capacities (TS 23.040 §9.2.3.16): a part of a
/// concatenated message loses six octets to the header, seven septets with
/// the fill bit.
const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

// TS 23.040 §9.2.3.1 and neighbours: bits of the first octet.
const MTI_MASK: u8 = 0x03;
const MTI_DELIVER: u8 = 0x00;
const MTI_SUBMIT: u8 = 0x01;
const MTI_STATUS_REPORT: u8 = 0x02;
const MTI_RESERVED: u8 = 0x03;
const MMS_NO_MORE: u8 = 0x04;
const VPF_MASK: u8 = 0x18;
const VPF_RELATIVE: u8 = 0x10;
const SRR: u8 = 0x20;
const UDHI: u8 = 0x40;

const TOA_INTERNATIONAL: u8 = 0x91;
const TOA_UNKNOWN: u8 = 0x81;
const TOA_ALPHANUMERIC: u8 = 0xD0;
const TON_INTERNATIONAL: u8 = 1;
const TON_ALPHANUMERIC: u8 = 5;

const DCS_GSM7: u8 = 0x00;
const DCS_UCS2: u8 = 0x08;

// ---------------------------------------------------------------- reading --

fn parse_hex(hex: &str) -> Result<Vec<u8>, PduError> {
    let hex = hex.trim();
    if hex.is_empty() {
        return Err(PduError::Empty);
    }
    let mut nibbles = Vec::with_capacity(hex.len());
    for (i, c) in hex.chars().enumerate() {
        let value = c.to_digit(16).ok_or(PduError::NotHex(c, i + 1))?;
        nibbles.push(value as u8);
    }
    if nibbles.len() % 2 != 0 {
        return Err(PduError::OddLength(nibbles.len()));
    }
    Ok(nibbles
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => (high << 4) | low,
            _ => 0,
        })
        .collect())
}

/// The PDU's own fields, read through the shared octet reader.
trait PduFields {
    fn skip_smsc(&mut self) -> Result<(), PduError>;
    fn address(&mut self, field: &'static str) -> Result<String, PduError>;
    fn timestamp(&mut self, field: &'static str) -> Result<Option<String>, PduError>;
}

impl PduFields for Reader<'_> {
    /// Skips the SMSC address that TS 27.005 puts before every TPDU; its
    /// length counts octets, unlike the TPDU addresses (§3.1, `<pdu>`).
    fn skip_smsc(&mut self) -> Result<(), PduError> {
        let len = self.octet("SMSC address length")?;
        self.take(usize::from(len), "SMSC address")?;
        Ok(())
    }

    /// An address field (TS 23.040 §9.1.2.5): its length counts useful
    /// semi-octets, not octets.
    fn address(&mut self, field: &'static str) -> Result<String, PduError> {
        let semi_octets = usize::from(self.octet(field)?);
        let toa = self.octet(field)?;
        let value = self.take(semi_octets.div_ceil(2), field)?;
        let ton = (toa >> 4) & 0x07;
        Ok(if ton == TON_ALPHANUMERIC {
            gsm7::from_septets(&gsm7::unpack(value, 0, semi_octets * 4 / 7))
        } else {
            let digits = bcd_digits(value, semi_octets);
            if ton == TON_INTERNATIONAL {
                format!("+{digits}")
            } else {
                digits
            }
        })
    }

    fn timestamp(&mut self, field: &'static str) -> Result<Option<String>, PduError> {
        Ok(scts_to_string(self.take(7, field)?))
    }
}

fn bcd_digits(octets: &[u8], count: usize) -> String {
    octets
        .iter()
        .flat_map(|&o| [o & 0x0F, o >> 4])
        .take(count)
        // 0xF is the filler of an odd-length number; it ends the digits.
        .take_while(|&n| n != 0x0F)
        .map(|n| match n {
            0..=9 => char::from(b'0' + n),
            0x0A => '*',
            0x0B => '#',
            0x0C => 'a',
            0x0D => 'b',
            _ => 'c',
        })
        .collect()
}

/// TS 23.040 §9.2.3.11: seven swapped-BCD octets, the last one the zone in
/// quarter hours with its sign in bit 3.
fn scts_to_string(octets: &[u8]) -> Option<String> {
    let [year, month, day, hour, minute, second, zone] = octets else {
        return None;
    };
    let field = |o: u8| -> Option<u8> {
        let (tens, units) = (o & 0x0F, o >> 4);
        (tens <= 9 && units <= 9).then_some(tens * 10 + units)
    };
    let quarters = (zone & 0x07) * 10 + (zone >> 4);
    if zone >> 4 > 9 {
        return None;
    }
    let sign = if zone & 0x08 != 0 { '-' } else { '+' };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        2000 + u32::from(field(*year)?),
        field(*month)?,
        field(*day)?,
        field(*hour)?,
        field(*minute)?,
        field(*second)?,
        quarters / 4,
        (quarters % 4) * 15,
    ))
}

/// The alphabet a TP-DCS selects (TS 23.038 §4). Compressed text cannot be
/// read without the compression algorithm, so it is treated as raw data.
fn coding_of(dcs: u8) -> Coding {
    match dcs >> 4 {
        // General data coding, and the same with automatic deletion.
        0x0..=0x7 if dcs & 0x20 != 0 => Coding::EightBit,
        0x0..=0x7 => match (dcs >> 2) & 0x03 {
            0 => Coding::Gsm7,
            2 => Coding::Ucs2,
            _ => Coding::EightBit,
        },
        // Message waiting indication (0xC-0xE) and data coding / message
        // class (0xF) groups.
        0xE => Coding::Ucs2,
        0xF if dcs & 0x04 != 0 => Coding::EightBit,
        0xC | 0xD | 0xF => Coding::Gsm7,
        _ => Coding::EightBit,
    }
}

fn utf16be_to_string(octets: &[u8]) -> String {
    let units = octets.chunks_exact(2).map(|pair| match pair {
        [high, low] => u16::from_be_bytes([*high, *low]),
        _ => 0,
    });
    char::decode_utf16(units)
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

struct UserData {
    text: String,
    concat: Option<Concat>,
}

/// TP-UDL and TP-UD (TS 23.040 §9.2.3.16, §9.2.3.24): for GSM 7-bit the
/// length counts septets including the header's, otherwise octets.
fn read_user_data(r: &mut Reader, udhi: bool, coding: Coding) -> Result<UserData, PduError> {
    let udl = usize::from(r.octet("user data length")?);
    let octet_len = match coding {
        Coding::Gsm7 => (udl * 7).div_ceil(8),
        Coding::Ucs2 | Coding::EightBit => udl,
    };
    let ud = r.take(octet_len, "user data")?;
    let (header_len, concat) = if udhi {
        let claimed = usize::from(ud.first().copied().unwrap_or(0));
        let header = ud.get(1..1 + claimed).ok_or(PduError::BadHeader {
            header: claimed,
            available: ud.len().saturating_sub(1),
        })?;
        (1 + claimed, concat_of(header))
    } else {
        (0, None)
    };
    let body = ud.get(header_len..).unwrap_or_default();
    let text = match coding {
        Coding::Gsm7 => {
            let header_septets = (header_len * 8).div_ceil(7);
            let fill = header_septets * 7 - header_len * 8;
            let count = udl.saturating_sub(header_septets);
            gsm7::from_septets(&gsm7::unpack(body, fill as u8, count))
        }
        Coding::Ucs2 => utf16be_to_string(body),
        Coding::EightBit => body.iter().map(|&b| char::from(b)).collect(),
    };
    Ok(UserData { text, concat })
}

/// TP-MTI names differ by direction (TS 23.040 §9.2.3.1), and a hex string
/// does not say which direction it travelled, so both are named.
fn type_name(first: u8) -> &'static str {
    match first & MTI_MASK {
        MTI_DELIVER => "an SMS-DELIVER or DELIVER-REPORT",
        MTI_SUBMIT => "an SMS-SUBMIT (an outgoing message) or SUBMIT-REPORT",
        MTI_STATUS_REPORT => "an SMS-STATUS-REPORT or SMS-COMMAND",
        _ => "a reserved message type",
    }
}

/// Decodes what the modem hands over in PDU mode (`+CMT`, `+CMGR`, `+CMGL`,
/// `+CDS`), SMSC field included.
pub fn decode_incoming(hex: &str) -> Result<Incoming, PduError> {
    let octets = parse_hex(hex)?;
    let mut r = Reader::new(&octets);
    r.skip_smsc()?;
    let first = r.octet("first octet")?;
    match first & MTI_MASK {
        // TS 23.040 §9.2.3.1: a reserved type is to be handled as a DELIVER.
        MTI_DELIVER | MTI_RESERVED => decode_deliver(first, &mut r).map(Incoming::Deliver),
        MTI_STATUS_REPORT => decode_status_report(&mut r).map(Incoming::StatusReport),
        _ => Err(PduError::WrongType {
            found: type_name(first),
            wanted: "an incoming message",
        }),
    }
}

fn decode_deliver(first: u8, r: &mut Reader) -> Result<Deliver, PduError> {
    let from = r.address("originating address")?;
    r.octet("protocol identifier")?;
    let coding = coding_of(r.octet("data coding scheme")?);
    let timestamp = r.timestamp("service centre time stamp")?;
    let ud = read_user_data(r, first & UDHI != 0, coding)?;
    Ok(Deliver {
        from,
        text: ud.text,
        coding,
        concat: ud.concat,
        timestamp,
    })
}

/// Fields after TP-ST (parameter indicator, user data) are optional and some
/// modems pad with FF, so they are not read.
fn decode_status_report(r: &mut Reader) -> Result<StatusReport, PduError> {
    let reference = r.octet("message reference")?;
    let recipient = r.address("recipient address")?;
    r.take(7, "service centre time stamp")?;
    r.take(7, "discharge time")?;
    let status = r.octet("status")?;
    Ok(StatusReport {
        reference,
        recipient,
        status,
    })
}

/// Decodes an SMS-SUBMIT as `AT+CMGS` carries it, SMSC field included: the
/// simulator's view of what the appliance sent.
pub fn decode_submit(hex: &str) -> Result<Submit, PduError> {
    let octets = parse_hex(hex)?;
    let mut r = Reader::new(&octets);
    r.skip_smsc()?;
    let first = r.octet("first octet")?;
    if first & MTI_MASK != MTI_SUBMIT {
        return Err(PduError::WrongType {
            found: type_name(first),
            wanted: "an SMS-SUBMIT",
        });
    }
    let reference = r.octet("message reference")?;
    let to = r.address("destination address")?;
    r.octet("protocol identifier")?;
    let coding = coding_of(r.octet("data coding scheme")?);
    // TS 23.040 §9.2.3.3: none, relative (one octet), or enhanced/absolute (seven).
    let vp_len = match first & VPF_MASK {
        0x00 => 0,
        VPF_RELATIVE => 1,
        _ => 7,
    };
    r.take(vp_len, "validity period")?;
    let ud = read_user_data(&mut r, first & UDHI != 0, coding)?;
    Ok(Submit {
        reference,
        to,
        status_report: first & SRR != 0,
        text: ud.text,
        concat: ud.concat,
    })
}

/// TS 23.040 §9.2.3.15: what the status means for the person who sent it.
pub fn status_meaning(st: u8) -> DeliveryStatus {
    use DeliveryStatus::{Delivered, Failed, Pending};
    match st {
        // Received, forwarded without confirmation, replaced, or SC-specific
        // completions: the transaction is over and nothing more will come.
        0x00..=0x1F => Delivered,
        0x20..=0x3F => Pending,
        0x40 => Failed("the network reported a remote procedure error"),
        0x41 => Failed("the recipient's phone cannot take this kind of message"),
        0x42 => Failed("the recipient's phone refused the message"),
        0x43 => Failed("the recipient's number is unknown or barred"),
        0x44 => Failed("the network could not give the quality of service asked for"),
        0x45 => Failed("the network has no route to the recipient"),
        0x46 => Failed("validity period expired"),
        0x47 => Failed("the message was deleted by its sender"),
        0x48 => Failed("the message was deleted by the network operator"),
        0x49 => Failed("the network no longer has the message"),
        0x4A..=0x5F => Failed("the network refused the message"),
        0x60 => Failed("the network gave up: it stayed congested"),
        0x61 => Failed("the network gave up: the recipient's phone stayed busy"),
        0x62 => Failed("the network gave up: the recipient's phone did not answer"),
        0x63 => Failed("the network gave up: the service was refused"),
        0x64 => Failed("the network gave up: quality of service not available"),
        0x65 => Failed("the network gave up: the recipient's phone reported an error"),
        0x66..=0x7F => Failed("the network gave up after temporary errors"),
        _ => Failed("the network reported a status this version does not know"),
    }
}

// ---------------------------------------------------------------- writing --

fn to_hex(octets: &[u8]) -> String {
    octets
        .iter()
        .flat_map(|octet| [octet >> 4, octet & 0x0F])
        .filter_map(|nibble| char::from_digit(u32::from(nibble), 16))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn push_bcd_digits(out: &mut Vec<u8>, digits: &[u8]) {
    for pair in digits.chunks(2) {
        let (low, high) = match pair {
            [low, high] => (low & 0x0F, high & 0x0F),
            [low] => (low & 0x0F, 0x0F),
            _ => continue,
        };
        out.push((high << 4) | low);
    }
}

/// Pushes an address field for "+digits" or "digits" (TS 23.040 §9.1.2.5);
/// callers keep `digits` within 20 so its length fits the octet.
fn push_number(out: &mut Vec<u8>, international: bool, digits: &str) {
    out.push(digits.len() as u8);
    out.push(if international {
        TOA_INTERNATIONAL
    } else {
        TOA_UNKNOWN
    });
    push_bcd_digits(out, digits.as_bytes());
}

/// Checks a destination and splits off its "+"; the network would reject a
/// malformed one later and far less clearly.
fn parse_destination(to: &str) -> Result<(bool, &str), PduError> {
    let bad = |reason| PduError::BadNumber {
        number: to.to_owned(),
        reason,
    };
    let (international, digits) = match to.strip_prefix('+') {
        Some(digits) => (true, digits),
        None => (false, to),
    };
    if digits.is_empty() {
        return Err(bad("the number is empty"));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "a phone number may only have digits after an optional leading +",
        ));
    }
    if digits.len() > MAX_DIGITS {
        return Err(bad("a phone number has at most 20 digits"));
    }
    Ok((international, digits))
}

/// Pushes the originator of a simulated DELIVER: a number when it is one,
/// otherwise alphanumeric text (TS 23.040 §9.1.2.5, TON 5) cut to the eleven
/// characters the field holds, with '?' for what GSM 7-bit cannot carry.
fn push_originator(out: &mut Vec<u8>, from: &str) {
    let (international, digits) = match from.strip_prefix('+') {
        Some(digits) => (true, digits),
        None => (false, from),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let digits = digits.get(..MAX_DIGITS).unwrap_or(digits);
        push_number(out, international, digits);
        return;
    }
    let mut septets = Vec::new();
    for c in from.chars() {
        let encoded = gsm7::to_septets(c.encode_utf8(&mut [0; 4])).unwrap_or_else(|| vec![b'?']);
        if septets.len() + encoded.len() > ALPHANUMERIC_MAX_SEPTETS {
            break;
        }
        septets.extend(encoded);
    }
    out.push((septets.len() * 7).div_ceil(4) as u8);
    out.push(TOA_ALPHANUMERIC);
    out.extend(gsm7::pack(&septets, 0));
}

fn bcd_octet(value: u8) -> u8 {
    let value = value % 100;
    ((value % 10) << 4) | (value / 10)
}

/// The relative TP-VP for a validity period (TS 23.040 §9.2.3.12.1),
/// rounding up so the network never gives up sooner than asked; periods past
/// 63 weeks get the longest there is.
pub fn relative_validity(minutes: u32) -> u8 {
    const HALF_DAY: u32 = 12 * 60;
    const DAY: u32 = 24 * 60;
    const WEEK: u32 = 7 * DAY;
    let vp = if minutes <= HALF_DAY {
        minutes.div_ceil(5).saturating_sub(1)
    } else if minutes <= DAY {
        143 + (minutes - HALF_DAY).div_ceil(30)
    } else if minutes <= 30 * DAY {
        166 + minutes.div_ceil(DAY)
    } else {
        192u32.saturating_add(minutes.div_ceil(WEEK))
    };
    u8::try_from(vp).unwrap_or(u8::MAX)
}

/// The period a relative TP-VP stands for, in minutes (TS 23.040 §9.2.3.12.1).
pub fn relative_validity_minutes(vp: u8) -> u32 {
    let vp = u32::from(vp);
    match vp {
        0..=143 => (vp + 1) * 5,
        144..=167 => 12 * 60 + (vp - 143) * 30,
        168..=196 => (vp - 166) * 24 * 60,
        _ => (vp - 192) * 7 * 24 * 60,
    }
}

/// The text of each part, already in its coding.
enum Pieces {
    Gsm7(Vec<Vec<u8>>),
    Ucs2(Vec<Vec<u16>>),
}

impl Pieces {
    fn len(&self) -> usize {
        match self {
            Pieces::Gsm7(p) => p.len(),
            Pieces::Ucs2(p) => p.len(),
        }
    }
}

/// Cuts `units` into parts of at most `per_part`, or leaves them whole when
/// they fit `single` (a lone part has no header and so holds more).
/// `indivisible` says how many leading units must stay together, so an
/// escape pair or a surrogate pair is never cut.
fn split_units<T: Copy>(
    units: &[T],
    single: usize,
    per_part: usize,
    indivisible: fn(&[T]) -> usize,
) -> Vec<Vec<T>> {
    if units.len() <= single {
        return vec![units.to_vec()];
    }
    let mut parts = Vec::new();
    let mut current = Vec::with_capacity(per_part);
    let mut rest = units;
    while !rest.is_empty() {
        let (unit, tail) = rest.split_at(indivisible(rest).clamp(1, rest.len()));
        if current.len() + unit.len() > per_part && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        current.extend_from_slice(unit);
        rest = tail;
    }
    parts.push(current);
    parts
}

fn escape_pair(septets: &[u8]) -> usize {
    match septets {
        [gsm7::ESC, ..] => 2,
        _ => 1,
    }
}

fn surrogate_pair(units: &[u16]) -> usize {
    match units {
        [0xD800..=0xDBFF, 0xDC00..=0xDFFF, ..] => 2,
        _ => 1,
    }
}

/// GSM 7-bit when every character has a form there, UCS-2 otherwise; the
/// part sizes are those of TS 23.040 §9.2.3.16 less the six-octet header.
fn plan(text: &str) -> Pieces {
    if let Some(septets) = gsm7::to_septets(text) {
        Pieces::Gsm7(split_units(&septets, GSM7_SINGLE, GSM7_PART, escape_pair))
    } else {
        let units: Vec<u16> = text.encode_utf16().collect();
        Pieces::Ucs2(split_units(&units, UCS2_SINGLE, UCS2_PART, surrogate_pair))
    }
}

/// The coding [`encode_submit`] chooses for `text`.
pub fn coding_for(text: &str) -> Coding {
    match plan(text) {
        Pieces::Gsm7(_) => Coding::Gsm7,
        Pieces::Ucs2(_) => Coding::Ucs2,
    }
}

/// How many SMS `text` takes.
pub fn parts_needed(text: &str) -> usize {
    plan(text).len()
}

/// TP-DCS, and TP-UDL followed by TP-UD, for part `index` (from 0): the two
/// are apart in the TPDU, with the validity period or time stamp between.
fn user_data(pieces: &Pieces, index: usize, reference: u8) -> (u8, Vec<u8>) {
    let count = pieces.len();
    // Only several parts need the concatenation element (TS 23.040
    // §9.2.3.24.1); `count` is at most 255 by the time this runs.
    let header: Vec<u8> = if count > 1 {
        vec![
            0x05,
            IEI_CONCAT_8,
            0x03,
            reference,
            count as u8,
            (index + 1) as u8,
        ]
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(141);
    match pieces {
        Pieces::Gsm7(parts) => {
            let septets = parts.get(index).map(Vec::as_slice).unwrap_or_default();
            let header_septets = (header.len() * 8).div_ceil(7);
            let fill = header_septets * 7 - header.len() * 8;
            out.push((header_septets + septets.len()) as u8);
            out.extend(&header);
            out.extend(gsm7::pack(septets, fill as u8));
            (DCS_GSM7, out)
        }
        Pieces::Ucs2(parts) => {
            let units = parts.get(index).map(Vec::as_slice).unwrap_or_default();
            out.push((header.len() + units.len() * 2) as u8);
            out.extend(&header);
            out.extend(units.iter().flat_map(|u| u.to_be_bytes()));
            (DCS_UCS2, out)
        }
    }
}

/// Builds the SMS-SUBMITs for `text` to `to` ("+<digits>" or digits), one per
/// part, in sending order.
pub fn encode_submit(
    to: &str,
    text: &str,
    opts: &SubmitOptions,
) -> Result<Vec<EncodedPart>, PduError> {
    let (international, digits) = parse_destination(to)?;
    let pieces = plan(text);
    let count = pieces.len();
    if count > MAX_PARTS {
        return Err(PduError::TooLong(count));
    }
    let mut first = MTI_SUBMIT;
    if opts.validity_minutes.is_some() {
        first |= VPF_RELATIVE;
    }
    if opts.status_report {
        first |= SRR;
    }
    if count > 1 {
        first |= UDHI;
    }
    let mut parts = Vec::with_capacity(count);
    for index in 0..count {
        // TP-MR stays 0: the modem assigns the real one and reports it.
        let mut tpdu = vec![first, 0x00];
        push_number(&mut tpdu, international, digits);
        tpdu.push(0x00);
        let (dcs, ud) = user_data(&pieces, index, opts.concat_ref);
        tpdu.push(dcs);
        if let Some(minutes) = opts.validity_minutes {
            tpdu.push(relative_validity(minutes));
        }
        tpdu.extend(ud);
        parts.push(EncodedPart {
            hex: format!("00{}", to_hex(&tpdu)),
            tpdu_len: tpdu.len(),
        });
    }
    Ok(parts)
}

/// Builds the SMS-DELIVERs a network would hand over for `text` from `from`,
/// for the modem simulator. `timestamp` is (yy, mm, dd, hh, mm, ss) in UTC.
/// A sender with anything but digits (after an optional "+") goes out as
/// alphanumeric; text needing more than 255 parts is cut at 255.
pub fn encode_deliver(
    from: &str,
    text: &str,
    timestamp: (u8, u8, u8, u8, u8, u8),
    concat_ref: u8,
) -> Vec<String> {
    let mut pieces = plan(text);
    match &mut pieces {
        Pieces::Gsm7(p) => p.truncate(MAX_PARTS),
        Pieces::Ucs2(p) => p.truncate(MAX_PARTS),
    }
    let count = pieces.len();
    let (yy, mo, dd, hh, mi, ss) = timestamp;
    let scts = [yy, mo, dd, hh, mi, ss].map(bcd_octet);
    let first = if count > 1 {
        MMS_NO_MORE | UDHI
    } else {
        MMS_NO_MORE
    };
    (0..count)
        .map(|index| {
            let mut tpdu = vec![first];
            push_originator(&mut tpdu, from);
            tpdu.push(0x00);
            let (dcs, ud) = user_data(&pieces, index, concat_ref);
            tpdu.push(dcs);
            tpdu.extend(scts);
            tpdu.push(0x00);
            tpdu.extend(ud);
            format!("00{}", to_hex(&tpdu))
        })
        .collect()
}

/// Builds an SMS-STATUS-REPORT for the modem simulator. Both time stamps are
/// fixed at 2000-01-01 00:00:00 UTC: nothing that reads reports uses them.
pub fn encode_status_report(reference: u8, recipient: &str, status: u8) -> String {
    let mut tpdu = vec![MTI_STATUS_REPORT | MMS_NO_MORE, reference];
    let (international, digits) = match recipient.strip_prefix('+') {
        Some(digits) => (true, digits),
        None => (false, recipient),
    };
    let digits: String = digits
        .chars()
        .filter(char::is_ascii_digit)
        .take(MAX_DIGITS)
        .collect();
    push_number(&mut tpdu, international, &digits);
    let stamp = [0, 1, 1, 0, 0, 0, 0].map(bcd_octet);
    tpdu.extend(stamp);
    tpdu.extend(stamp);
    tpdu.push(status);
    format!("00{}", to_hex(&tpdu))
}

#[cfg(test)]
mod tests;
