//! Trace and span ids: this dispatch's trace, joined to Juju's when Juju says which.

/// The trace a dispatch's spans belong to, and the span they hang from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    /// The 16-byte trace id.
    pub trace_id: [u8; 16],
    /// Juju's span for this hook, parent of `ops.main` (`None`: `ops.main` is the root).
    pub span_id: Option<[u8; 8]>,
}

impl TraceParent {
    /// Juju's trace (`JUJU_TRACE_ID`, 32 hex digits, and `JUJU_SPAN_ID`, 16, as Juju 4 sets
    /// them) when it gave a valid one; a new random trace otherwise.
    ///
    /// ```
    /// use ops_tracing::TraceParent;
    /// let juju = TraceParent::from_juju(Some("4bf92f3577b34da6a3ce929d0e0e4736"), Some("00f067aa0ba902b7"));
    /// assert_eq!(juju.trace_id[0], 0x4b);
    /// assert_eq!(juju.span_id, Some([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]));
    /// let fresh = TraceParent::from_juju(Some("not hex"), None);
    /// assert_eq!(fresh.span_id, None);
    /// assert_ne!(fresh.trace_id, [0; 16]);
    /// ```
    pub fn from_juju(trace_id: Option<&str>, span_id: Option<&str>) -> Self {
        match trace_id.and_then(hex::<16>) {
            Some(trace_id) => TraceParent {
                trace_id,
                span_id: span_id.and_then(hex::<8>),
            },
            None => TraceParent {
                trace_id: random_id(),
                span_id: None,
            },
        }
    }
}

/// A random id, never all zeros (OTLP's "invalid").
pub(crate) fn random_id<const N: usize>() -> [u8; N] {
    loop {
        let mut id = [0u8; N];
        for b in &mut id {
            *b = fastrand::u8(..);
        }
        if id.iter().any(|b| *b != 0) {
            return id;
        }
    }
}

/// `N` bytes from `2N` hex digits, not all zero.
fn hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    out.iter().any(|b| *b != 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_short_ids_are_not_juju_ids() {
        assert_eq!(hex::<8>("0000000000000000"), None);
        assert_eq!(hex::<8>("00f067aa0ba902b"), None);
        assert_eq!(hex::<8>("00f067aa0ba902bz"), None);
        assert_eq!(hex::<2>("0a0B"), Some([0x0a, 0x0b]));
    }

    #[test]
    fn a_span_id_without_a_trace_id_is_ignored() {
        let t = TraceParent::from_juju(None, Some("00f067aa0ba902b7"));
        assert_eq!(t.span_id, None);
    }
}
