//! Cross-crate, stress and fault tests for tern live in `tests/tests/*.rs`; this library is
//! empty on purpose (the package exists so those tests can depend on every tern crate
//! without any tern crate depending on another one's test helpers).
