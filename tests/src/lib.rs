//! Support code shared by the simulators and the whole-program tests.

pub mod jujusim;
