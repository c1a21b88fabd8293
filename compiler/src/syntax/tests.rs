//! Unit tests of the syntax front door.
