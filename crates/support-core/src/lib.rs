//! Pure logic shared by the server, the fakes and product apps. No IO, no clocks: callers
//! pass `now` in, which keeps every rule testable to the second.

pub mod classify;
pub mod policy;
pub mod routing;
pub mod signals;
pub mod signing;
pub mod validate;
