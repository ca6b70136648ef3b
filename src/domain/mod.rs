//! Validated types: once a value has one of these types it is known to be well formed.
//! Parse, don't validate — handlers turn raw input into these at the edge.

mod address;
mod fips;
mod state;
mod status;
mod supporter;

pub use address::{Address, AddressError, AddressInput, Zip, MAX_ADDRESS_CHARS};
pub use fips::{fips_for_state, state_for_fips, usps_for_fips, FIPS_CODES};
pub use state::{StateCode, StateCodeError, STATES};
pub use status::{BillStatus, CriterionKind, CriterionStatus, ParseEnumError};
pub use supporter::{
    Body, City, EmailAddress, InvalidField, Subject, SupporterName, MAX_BODY_CHARS, MAX_CITY_CHARS,
    MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS,
};
