//! The tenant emulator held to the documented Graph behaviour.
//!
//! **Contract tests** (module `contract`): every exchange fixture of
//! `tests/data/graph-fixtures/` is sent to an in-process emulator (placeholders replaced by the
//! ids of objects the test created first) and the answer is compared with the documented
//! response: the same status, every documented key present with the same JSON type (extra keys
//! allowed; ids, timestamps, tokens and secrets free), the same presence of `@odata.nextLink` /
//! `@odata.deltaLink`, and the same error code. One deliberate leniency: where the documented
//! sample shows a string, number or boolean the emulator may answer `null`, because the samples
//! carry values the request never set (a created user's `jobTitle`, for example) and those
//! properties are nullable. Every rules fixture has a test of its own, in the module of its
//! theme.
//!
//! Time is injected with a manual clock: no test sleeps through a throttling window or a token
//! lifetime. Each test's emulator keeps its data in a folder of its own under the target
//! directory, removed when the test is done.

// Tests may unwrap: a panic there is a test failure with its cause.
#![allow(clippy::unwrap_used)]

// How every test and benchmark configures and starts an emulator (this crate uses the
// configuration part only).
#[allow(dead_code)]
#[path = "../common/emulator.rs"]
mod shared_emulator;

mod fixtures;
mod harness;

mod applications;
mod batch;
mod contract;
mod domains;
mod errors;
mod groups;
mod organization;
mod paging;
mod server;
mod throttling;
mod tokens;
mod users;
