//! The webkv charm's `dispatch` binary: Juju runs it once per event.
fn main() -> std::process::ExitCode {
    ops::main(webkv_charm::WebKv)
}
