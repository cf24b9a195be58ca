//! x
pub struct Harness;
