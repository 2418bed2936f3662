//! GSM/LTE modems: the SMS PDU codec, model profiles and the driver.

pub mod gsm7;
pub mod modem;
pub mod pdu;
pub mod profile;
