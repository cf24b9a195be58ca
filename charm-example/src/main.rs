//! The webkv charm's `dispatch` binary: Juju runs it once per event.

/// The heap allocator: dlmalloc, the classic allocator glibc's own descends from, in Rust.
///
/// `charmcraft.yaml` builds this binary statically against musl, whose own `malloc` favours
/// size over speed, which a hook that allocates a lot pays for. dlmalloc needs no set-up when
/// the process starts, which matters for a program that lives a few milliseconds (measured:
/// BENCHMARKS.md, "The packed charm: static musl with dlmalloc"). Any allocator works with
/// ops-rs; a charm built for glibc can leave this out.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> std::process::ExitCode {
    // With the `tracing` feature, ops-tracing runs the dispatch: the same as `ops::main`,
    // with the hook's spans collected and sent (see charm-example/scenarios/webkv-tracing.yaml).
    #[cfg(feature = "tracing")]
    return ops_tracing::main(charm_example::WebKv::default());
    #[cfg(not(feature = "tracing"))]
    ops::main(charm_example::WebKv::default())
}
