//! The handshake test charm's `dispatch` (the charm is in `charm.rs`, metadata beside it).

#[path = "charm.rs"]
mod charm;

fn main() -> std::process::ExitCode {
    ops::main(charm::Pair::default())
}
