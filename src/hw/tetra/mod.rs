//! TETRA radios on their Peripheral Equipment Interface (EN 300 392-5): the
//! SDS / SDS-TL codec and the radio driver.

pub mod pei;
pub mod profile;
pub mod radio;
pub mod sds;
