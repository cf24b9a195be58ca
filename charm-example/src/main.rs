//! The example charm (grows in its own issue).
fn main() {}
