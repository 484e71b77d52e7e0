//! Integration tests for `metarr-media`: a messy library generated in a temporary folder,
//! discovered and classified, with exact expectations.

mod builder;
mod classification;
mod discovery;
mod images;
mod links;
mod non_utf8;
mod tv;
