//! Pebble's data types, free of any I/O.
