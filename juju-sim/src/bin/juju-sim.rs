//! `juju-sim`: run a charm locally as Juju's unit agent would. See `juju-sim --help`.

fn main() -> std::process::ExitCode {
    juju_sim::cli::main()
}
