//! The webkv charm's `dispatch` binary: Juju runs it once per event.

/// The heap allocator: dlmalloc, the classic allocator glibc's own descends from, in Rust.
///
/// `charmcraft.yaml` builds this binary statically against musl, whose own `malloc` favours
/// size over speed: a hook that allocates a lot (re-emitting 1,000 deferred events) took a third
/// more CPU with it than with glibc. dlmalloc needs no set-up when the process starts, which
/// matters for a program that lives a few milliseconds, and with it the musl build uses about
/// 5 % less CPU per hook than a static glibc one (BENCHMARKS.md). Any allocator works with
/// ops-rs; a charm built for glibc can leave this out.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> std::process::ExitCode {
    ops::main(charm_example::WebKv)
}
