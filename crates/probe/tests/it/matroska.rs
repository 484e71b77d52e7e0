//! matroska reader tests: header-only samples committed in tests/data/headers, and hostile input.
